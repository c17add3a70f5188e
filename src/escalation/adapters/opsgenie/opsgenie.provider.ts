import axios, { type AxiosInstance } from 'axios';
import {
  ProviderDeliveryError,
  ProviderName,
  type AlertContent,
  type DeliveryReceipt,
  type EscalationProvider,
  type ProviderCredentials,
} from '../../escalation.port';
import {
  DEFAULT_PROVIDER_TIMEOUT_MS,
  bodyObject,
  bodyText,
  isRetryableStatus,
  isSuccessStatus,
  retryAfterMs,
  sendToProvider,
  type ProviderResponse,
} from '../http-delivery';
import { OpsgenieLimits, alertActionPath, opsgenieBaseUrl, toActionBody, toCreateAlertBody } from './opsgenie.mapper';

/** How often the outcome of an accepted request is asked for before giving up (retryably). */
export const OPSGENIE_CONFIRM_ATTEMPTS = 10;
export const OPSGENIE_CONFIRM_INTERVAL_MS = 200; // 0.2 seconds between asks

export interface OpsgenieProviderOptions {
  /** Base URL; overrides the region's (`https://api.opsgenie.com`, EU `https://api.eu.opsgenie.com`). */
  apiUrl?: string;
  /** Per call; default `DEFAULT_PROVIDER_TIMEOUT_MS` (10 seconds). */
  timeoutMs?: number;
  /** Default: a fresh `axios.create()`. */
  http?: AxiosInstance;
  /** Request-status checks after a 202; default `OPSGENIE_CONFIRM_ATTEMPTS` (10). */
  confirmAttempts?: number;
  /** Pause before each check; default `OPSGENIE_CONFIRM_INTERVAL_MS` (200 ms). */
  confirmIntervalMs?: number;
  /** Default: setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

/** The `data` of GET /v2/alerts/requests/{requestId}. */
interface RequestStatus {
  success?: boolean;
  isSuccess?: boolean;
  action?: string;
  status?: string;
  alertId?: string;
  alias?: string;
}

/**
 * Pages through the Opsgenie Alert API v2 with `Authorization: GenieKey <apiKey>`. Opsgenie
 * answers every write with 202 before doing it, so each write is confirmed through
 * GET /v2/alerts/requests/{requestId}: a processed failure (isSuccess false, e.g. "Alert does not
 * exist") is a non-retryable error; a request still unprocessed after `confirmAttempts` checks is
 * a retryable one (sending again is safe: Opsgenie dedups creates on the alias). Other errors:
 * network, timeout, 5xx and 429 (retryAfterMs from X-RateLimit-Period-In-Sec, else Retry-After)
 * are retryable; 400, 401, 403, 404, 422 and other 4xx are not, with Opsgenie's message and errors.
 */
export class OpsgenieProvider implements EscalationProvider {
  readonly name = ProviderName.OPSGENIE;
  private readonly http: AxiosInstance;
  private readonly timeoutMs: number;
  private readonly confirmAttempts: number;
  private readonly confirmIntervalMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: OpsgenieProviderOptions = {}) {
    this.http = options.http ?? axios.create();
    this.timeoutMs = options.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS;
    this.confirmAttempts = options.confirmAttempts ?? OPSGENIE_CONFIRM_ATTEMPTS;
    this.confirmIntervalMs = options.confirmIntervalMs ?? OPSGENIE_CONFIRM_INTERVAL_MS;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Receipt: HTTP status of the write (202), the alias, and the processed status ("Created alert"). */
  async trigger(credentials: ProviderCredentials, alert: AlertContent): Promise<DeliveryReceipt> {
    checkAlias(alert.dedupKey);
    return this.write(credentials, '/v2/alerts', toCreateAlertBody(credentials, alert), alert.dedupKey);
  }

  async acknowledge(credentials: ProviderCredentials, dedupKey: string): Promise<DeliveryReceipt> {
    checkAlias(dedupKey);
    return this.write(credentials, alertActionPath(dedupKey, 'acknowledge'), toActionBody(), dedupKey);
  }

  /** Closes the alert (Opsgenie's word for resolve). */
  async resolve(credentials: ProviderCredentials, dedupKey: string): Promise<DeliveryReceipt> {
    checkAlias(dedupKey);
    return this.write(credentials, alertActionPath(dedupKey, 'close'), toActionBody(), dedupKey);
  }

  private async write(credentials: ProviderCredentials, path: string, body: object, alias: string): Promise<DeliveryReceipt> {
    const connection = this.connect(credentials);
    const response = await sendToProvider(this.http, 'Opsgenie', {
      ...connection,
      method: 'POST',
      url: path,
      data: JSON.stringify(body),
      headers: { ...connection.headers, 'content-type': 'application/json' },
    });
    if (!isSuccessStatus(response.status)) throw toDeliveryError(`POST ${path}`, response);
    const requestId = bodyObject(response.data).requestId;
    if (typeof requestId !== 'string' || requestId === '') {
      throw new ProviderDeliveryError(`Opsgenie accepted POST ${path} without a requestId to confirm it by`, true, response.status);
    }
    const outcome = await this.confirm(connection, requestId, response.status);
    return { httpStatus: response.status, externalKey: alias, message: outcome.status };
  }

  private async confirm(connection: Connection, requestId: string, writeStatus: number): Promise<RequestStatus> {
    let lastError: ProviderDeliveryError | undefined;
    for (let attempt = 0; attempt < this.confirmAttempts; attempt++) {
      await this.sleep(this.confirmIntervalMs);
      let response: ProviderResponse;
      try {
        response = await sendToProvider(this.http, 'Opsgenie', {
          ...connection,
          method: 'GET',
          url: `/v2/alerts/requests/${encodeURIComponent(requestId)}`,
        });
      } catch (error) {
        lastError = error as ProviderDeliveryError;
        continue;
      }
      // 404 here means "not processed yet".
      if (response.status === 404) continue;
      if (!isSuccessStatus(response.status)) {
        const error = toDeliveryError(`request status ${requestId}`, response);
        if (!error.retryable) throw error;
        lastError = error;
        continue;
      }
      const outcome = bodyObject(bodyObject(response.data).data) as RequestStatus;
      if (outcome.isSuccess === false || outcome.success === false) {
        throw new ProviderDeliveryError(
          `Opsgenie could not process request ${requestId} (${outcome.action ?? 'unknown action'}): ${outcome.status ?? 'no status'}`,
          false,
          writeStatus,
        );
      }
      return outcome;
    }
    throw new ProviderDeliveryError(
      `Opsgenie had not processed request ${requestId} after ${this.confirmAttempts} status checks` +
        (lastError ? ` (last: ${lastError.message})` : ''),
      true,
      lastError?.httpStatus ?? writeStatus,
      lastError?.retryAfterMs,
    );
  }

  private connect(credentials: ProviderCredentials): Connection {
    if (!credentials.apiKey) throw new ProviderDeliveryError('Opsgenie credentials have no API key', false);
    return {
      baseURL: opsgenieBaseUrl(this.options.apiUrl, credentials.region),
      timeout: this.timeoutMs,
      headers: { authorization: `GenieKey ${credentials.apiKey}`, accept: 'application/json' },
    };
  }
}

interface Connection {
  baseURL: string;
  timeout: number;
  headers: Record<string, string>;
}

function toDeliveryError(call: string, response: ProviderResponse): ProviderDeliveryError {
  const { status } = response;
  return new ProviderDeliveryError(
    `Opsgenie answered HTTP ${status} to ${call}: ${describeAnswer(response.data)}`,
    isRetryableStatus(status),
    status,
    status === 429 ? rateLimitWaitMs(response) : retryAfterMs(response),
  );
}

function rateLimitWaitMs(response: ProviderResponse): number | undefined {
  const period = Number(response.header('x-ratelimit-period-in-sec'));
  return Number.isFinite(period) && period > 0 ? period * 1000 : retryAfterMs(response);
}

/** "Request body is not processable. Please check the errors. (message: …; tags: …)", or the raw body. */
function describeAnswer(data: unknown): string {
  const body = bodyObject(data);
  if (typeof body.message !== 'string') return bodyText(data) || '(empty body)';
  const errors = Object.entries(bodyObject(body.errors)).map(([field, text]) => `${field}: ${String(text)}`);
  return errors.length > 0 ? `${body.message} (${errors.join('; ')})` : body.message;
}

// Cutting an alias would merge or split alerts, so an alias Opsgenie cannot take is refused.
function checkAlias(alias: string): void {
  if (!alias || alias.length > OpsgenieLimits.aliasLength) {
    throw new ProviderDeliveryError(`Opsgenie alias must be 1–${OpsgenieLimits.aliasLength} characters (got ${alias.length})`, false);
  }
}
