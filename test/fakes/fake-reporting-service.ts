import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyRetrySignature, RETRY_SIGNATURE_HEADER, type RetryWebhookBody } from '../../src/failures';

export interface ReceivedRetry {
  body: RetryWebhookBody;
  rawBody: string;
  headers: http.IncomingHttpHeaders;
  signatureValid: boolean;
}

/**
 * A reporting service's retry endpoint on port 0. It checks each request's signature with the
 * service's secret, records it, and answers with whatever status `respondWith` says (200 by default).
 */
export class FakeReportingService {
  readonly received: ReceivedRetry[] = [];
  secret = '';
  respondWith: (retry: ReceivedRetry) => { status: number; headers?: Record<string, string> } = () => ({ status: 200 });
  private readonly server = http.createServer((req, res) => this.onRequest(req, res));
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  async start(port = 0): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/retries`;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Resolves once `count` requests in all have arrived. */
  waitFor(count: number): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const retry: ReceivedRetry = {
        body: JSON.parse(rawBody) as RetryWebhookBody,
        rawBody,
        headers: req.headers,
        signatureValid: verifyRetrySignature(this.secret, rawBody, req.headers[RETRY_SIGNATURE_HEADER] as string | undefined),
      };
      this.received.push(retry);
      const answer = this.respondWith(retry);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end('{}');
      this.waiters = this.waiters.filter((w) => (this.received.length >= w.count ? (w.resolve(), false) : true));
    });
  }
}
