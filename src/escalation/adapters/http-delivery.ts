import type { AxiosInstance, AxiosRequestConfig } from 'axios';
import { parseRetryAfterMs } from '../../failures/retry-webhook';
import { ProviderDeliveryError } from '../escalation.port';

/** How long one call to a provider may take, unless the provider's options say otherwise. */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 10_000; // 10 seconds

/** A provider's answer, whatever its status. */
export interface ProviderResponse {
  status: number;
  /** Parsed JSON when the body was JSON, else the raw text. */
  data: unknown;
  header(name: string): string | undefined;
}

/**
 * Sends one request and returns the answer for any HTTP status. Network errors and timeouts
 * become a retryable `ProviderDeliveryError` naming the provider.
 */
export async function sendToProvider(http: AxiosInstance, provider: string, config: AxiosRequestConfig): Promise<ProviderResponse> {
  try {
    const response = await http.request({
      ...config,
      validateStatus: () => true,
      maxRedirects: 0,
      transformRequest: [(data: unknown) => data],
    });
    const headers = response.headers as Record<string, unknown>;
    return {
      status: response.status,
      data: response.data,
      header: (name) => {
        const value = headers[name.toLowerCase()];
        return value === undefined || value === null ? undefined : String(value);
      },
    };
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new ProviderDeliveryError(`${provider} unreachable: ${(error as Error).message}${code ? ` (${code})` : ''}`, true);
  }
}

export function isSuccessStatus(status: number): boolean {
  return status >= 200 && status < 300;
}

/** Only throttling and server errors can pass on a later try; any other 4xx will be refused again. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Retry-After (seconds or HTTP date) in milliseconds, or undefined. */
export function retryAfterMs(response: ProviderResponse): number | undefined {
  return parseRetryAfterMs(response.header('retry-after'));
}

/** The answer body as an object (an empty one when it is not a JSON object). */
export function bodyObject(data: unknown): Record<string, unknown> {
  return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
}

/** Short text of a non-JSON body, for error messages. */
export function bodyText(data: unknown, maxLength = 300): string {
  const text = typeof data === 'string' ? data : JSON.stringify(data ?? '');
  return text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
}
