import axios, { type AxiosInstance } from 'axios';
import type { DataSource, EntityManager } from 'typeorm';
import { DeliveryError, type OutboxHandler, type OutboxWorker } from '../platform/outbox';
import type { ServiceEntity, ServiceRegistry } from '../registry';
import { FailureEntity } from './failure.entity';
import { FailureStatus } from './failure.state';
import type { RetryRequest, RetryRoute } from './retry-dispatcher';
import { RETRY_REQUEST_ID_HEADER, RETRY_SIGNATURE_HEADER, signRetryRequest } from './retry-signature';

export const RETRY_WEBHOOK_KIND = 'retry.webhook';

/** Routes retries to the service's `retryWebhookUrl`, through the outbox. */
export class WebhookRetryRoute implements RetryRoute {
  readonly name = 'webhook';

  constructor(private readonly outbox: OutboxWorker) {}

  canDeliver(service: ServiceEntity): boolean {
    return Boolean(service.retryWebhookUrl);
  }

  enqueue(manager: EntityManager, _service: ServiceEntity, request: RetryRequest): Promise<void> {
    return this.outbox.enqueue(manager, RETRY_WEBHOOK_KIND, `failure:${request.failureId}`, request);
  }
}

/** The JSON body a service receives for a retry. */
export interface RetryWebhookBody {
  requestId: string;
  failureId: string;
  service: string;
  taskType: string;
  taskId: string;
  pattern: string;
  source: string | null;
  attempt: number;
  errorType: string;
  errorMessage: string;
  payload: unknown;
  attributes: Record<string, string>;
  requestedAt: string;
}

export interface RetryWebhookHandlerOptions {
  dataSource: DataSource;
  registry: ServiceRegistry;
  timeoutMs: number;
  /** Moves the failure back to FAILED when the request can never be delivered. */
  onUndeliverable: (manager: EntityManager, request: RetryRequest, reason: string) => Promise<void>;
  http?: AxiosInstance;
  nowSeconds?: () => number;
}

/**
 * Delivers one retry request: POSTs the signed JSON body. 2xx is done; timeouts, network
 * errors, 408, 429 and 5xx are tried again (honouring Retry-After); other 4xx are final.
 */
export class RetryWebhookHandler implements OutboxHandler<RetryRequest> {
  readonly kind = RETRY_WEBHOOK_KIND;
  private readonly http: AxiosInstance;
  private readonly nowSeconds: () => number;

  constructor(private readonly options: RetryWebhookHandlerOptions) {
    this.http = options.http ?? axios.create();
    this.nowSeconds = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  }

  async handle(request: RetryRequest): Promise<void> {
    const failure = await this.options.dataSource.getRepository(FailureEntity).findOneBy({ id: request.failureId });
    // Discarded or resolved meanwhile: the retry is no longer wanted.
    if (!failure || failure.status !== FailureStatus.RETRYING) return;
    const service = await this.options.registry.getById(request.serviceId);
    if (!service.retryWebhookUrl) throw new DeliveryError(`Service "${service.name}" no longer has a retry webhook`, false);

    const body = JSON.stringify(toBody(request, failure, service));
    let status: number;
    let retryAfter: string | undefined;
    try {
      const response = await this.http.post(service.retryWebhookUrl, body, {
        timeout: this.options.timeoutMs,
        headers: {
          'content-type': 'application/json',
          [RETRY_SIGNATURE_HEADER]: signRetryRequest(service.retryWebhookSecret, body, this.nowSeconds()),
          [RETRY_REQUEST_ID_HEADER]: request.requestId,
          'user-agent': 'failure-desk',
        },
        validateStatus: () => true,
        maxRedirects: 0,
        transformRequest: [(data: string) => data],
      });
      status = response.status;
      retryAfter = response.headers['retry-after'] as string | undefined;
    } catch (error) {
      throw new DeliveryError(`Retry webhook unreachable: ${(error as Error).message}`, true);
    }
    if (status >= 200 && status < 300) return;
    const retryable = status === 408 || status === 429 || status >= 500;
    throw new DeliveryError(`Retry webhook answered HTTP ${status}`, retryable, parseRetryAfterMs(retryAfter));
  }

  onDead(request: RetryRequest, error: Error, manager: EntityManager): Promise<void> {
    return this.options.onUndeliverable(manager, request, error.message);
  }
}

function toBody(request: RetryRequest, failure: FailureEntity, service: ServiceEntity): RetryWebhookBody {
  return {
    requestId: request.requestId,
    failureId: failure.id,
    service: service.name,
    taskType: failure.taskType,
    taskId: failure.taskId,
    pattern: failure.pattern,
    source: failure.source,
    attempt: request.attempt,
    errorType: failure.errorType,
    errorMessage: failure.errorMessage,
    payload: failure.payloadJson === null ? null : JSON.parse(failure.payloadJson),
    attributes: JSON.parse(failure.attributesJson) as Record<string, string>,
    requestedAt: new Date().toISOString(),
  };
}

/** Retry-After is either seconds or an HTTP date. */
export function parseRetryAfterMs(value: string | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
