import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a fake does instead of answering normally; `Throttle` is the vendor's own 429. */
export type FakeHttpFault<Throttle extends { kind: 'rate-limit' } = { kind: 'rate-limit' }> =
  | { kind: 'error'; status?: number }
  | Throttle
  /** Never answers; the client has to time out. */
  | { kind: 'hang' }
  /** Answers normally (and changes state) after `ms`. */
  | { kind: 'delay'; ms: number };

/** A fault that is answered at once, in the vendor's words. */
export type AnsweredFault<Fault extends FakeHttpFault> = Exclude<Fault, { kind: 'hang' } | { kind: 'delay' }>;

/** What a fake answered; the body is sent as JSON. */
export interface FakeHttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** One request as a fake recorded it. */
export interface FakeHttpRequest<Fault extends FakeHttpFault = FakeHttpFault> {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  /** Parsed JSON, or undefined when the body was not JSON. */
  body: unknown;
  receivedAt: Date;
  fault?: Fault['kind'];
  /** Undefined while (or because) the fake hangs. */
  answer?: FakeHttpAnswer;
}

/**
 * The plumbing of a fake vendor API on 127.0.0.1: an HTTP server on port 0 that keeps its port
 * across `down()` and `up()`, records every request with the answer given, wakes
 * `waitForRequests` waiters, and replaces answers with queued faults (`queueFault`). A vendor fake
 * extends it with how a request is recorded (`record`), answered (`handle`) and refused
 * (`faultAnswer`), and keeps its own validation and state.
 */
export abstract class FakeHttpServer<Request extends FakeHttpRequest<Fault>, Fault extends FakeHttpFault> {
  /** Every request so far, oldest first. */
  protected readonly requests: Request[] = [];
  private readonly faults: Array<{ fault: Fault; matches?: (request: Request) => boolean }> = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private waiters: Array<{ count: number; resolve: () => void }> = [];
  private server?: http.Server;
  private port = 0;

  /** Starts listening on a free port. */
  async start(): Promise<this> {
    await this.up();
    return this;
  }

  /** Stops listening and drops every open connection; state and records stay. */
  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again, on the same port after the first start. */
  async up(): Promise<void> {
    if (this.server) return;
    const server = http.createServer((req, res) => this.onRequest(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Drops delayed answers not sent yet, then goes `down()`. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.down();
  }

  /** Resolves once `count` requests in all have arrived. */
  waitForRequests(count: number): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  /** `http://127.0.0.1:<port>`, the port fixed by the first start. */
  protected get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The next `count` requests, or the next `count` that `matches`, get `fault` instead of their answer. */
  protected queueFault(count: number, fault: Fault, matches?: (request: Request) => boolean): void {
    for (let i = 0; i < count; i++) this.faults.push({ fault, matches });
  }

  /** Headers on every answer, under the answer's own. */
  protected answerHeaders(): Record<string, string> {
    return {};
  }

  /** The vendor's record of a request, from the fields every fake records. */
  protected abstract record(request: FakeHttpRequest<Fault>): Request;

  /** The normal answer, changing the vendor's state as the vendor would. */
  protected abstract handle(req: http.IncomingMessage, request: Request, raw: Buffer): FakeHttpAnswer;

  /** The answer to an `error` or `rate-limit` fault. */
  protected abstract faultAnswer(fault: AnsweredFault<Fault>): FakeHttpAnswer;

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const rawBody = raw.toString('utf8');
      const request = this.record({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        rawBody,
        body: parseJson(rawBody),
        receivedAt: new Date(),
      });
      this.requests.push(request);
      this.waiters = this.waiters.filter((w) => (this.requests.length >= w.count ? (w.resolve(), false) : true));
      const index = this.faults.findIndex((f) => f.matches === undefined || f.matches(request));
      const fault = index < 0 ? undefined : this.faults.splice(index, 1)[0].fault;
      request.fault = fault?.kind;
      if (fault?.kind === 'hang') return;
      if (fault?.kind === 'delay') {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.send(res, request, this.handle(req, request, raw));
        }, fault.ms);
        this.timers.add(timer);
        return;
      }
      this.send(res, request, fault ? this.faultAnswer(fault as AnsweredFault<Fault>) : this.handle(req, request, raw));
    });
  }

  private send(res: http.ServerResponse, request: Request, answer: FakeHttpAnswer): void {
    request.answer = answer;
    if (res.destroyed) return;
    res.writeHead(answer.status, { 'content-type': 'application/json', ...this.answerHeaders(), ...answer.headers });
    res.end(JSON.stringify(answer.body));
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
