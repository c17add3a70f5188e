/**
 * HTTP load generator, run in a worker thread so the client's work never runs on the server's
 * event loop (both still share the machine's cores). Sends pre-serialised GraphQL bodies over
 * keep-alive connections with at most `concurrency` requests in flight; reports one latency per
 * request and what the server accepted. Started by http-load.ts.
 *
 * Two clients: 'http' (node:http with a keep-alive agent) and 'raw', one plain TCP connection
 * per lane writing pre-built HTTP/1.1 requests and reading responses framed by Content-Length.
 * Both check every response the same way; 'raw' costs the shared cores a fraction of the CPU.
 */
import http from 'node:http';
import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

export interface LoadRequest {
  url: string;
  token: string;
  bodies: string[];
  concurrency: number;
  /** 'single': data.reportFailure.id; 'batch': data.reportFailures.accepted. */
  kind: 'single' | 'batch';
  /** Default 'http'. */
  client?: 'http' | 'raw';
}

export interface LoadResponse {
  elapsedMs: number;
  latenciesMs: number[];
  accepted: number;
  failedRequests: number;
  errors: string[];
}

function post(agent: http.Agent, url: URL, token: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * One keep-alive TCP connection sending one request at a time. Responses must carry
 * Content-Length (Express sends it for every GraphQL answer); anything else fails the request.
 */
class RawConnection {
  private socket: net.Socket | undefined;
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (r: { status: number; text: string }) => void; reject: (e: Error) => void } | undefined;

  constructor(private readonly url: URL) {}

  post(request: Buffer): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.connection().write(request);
    });
  }

  close(): void {
    this.socket?.destroy();
  }

  private connection(): net.Socket {
    if (this.socket && !this.socket.destroyed) return this.socket;
    const socket = net.connect(Number(this.url.port), this.url.hostname);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
      this.parse();
    });
    const fail = (error: Error) => {
      this.socket = undefined;
      this.buffered = Buffer.alloc(0);
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.reject(error);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
    this.socket = socket;
    return socket;
  }

  private parse(): void {
    const headerEnd = this.buffered.indexOf('\r\n\r\n');
    if (headerEnd === -1 || !this.waiting) return;
    const head = this.buffered.toString('latin1', 0, headerEnd);
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!length) {
      this.socket?.destroy(new Error(`response without Content-Length: ${head.slice(0, 200)}`));
      return;
    }
    const end = headerEnd + 4 + Number(length[1]);
    if (this.buffered.length < end) return;
    const text = this.buffered.toString('utf8', headerEnd + 4, end);
    this.buffered = this.buffered.subarray(end);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting.resolve({ status, text });
  }
}

function rawRequest(url: URL, token: string, body: string): Buffer {
  const payload = Buffer.from(body);
  const head =
    `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${payload.length}\r\nAuthorization: Bearer ${token}\r\nConnection: keep-alive\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), payload]);
}

/** How many reports the response says were stored, or an error message. */
function acceptedIn(kind: LoadRequest['kind'], status: number, text: string): number | string {
  let body: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return `HTTP ${status}, non-JSON body: ${text.slice(0, 200)}`;
  }
  if (status !== 200 || body.errors?.length || !body.data) {
    const first = body.errors?.[0];
    return `HTTP ${status}: ${first ? `${first.extensions?.code ?? ''} ${first.message}` : text.slice(0, 200)}`;
  }
  if (kind === 'single') {
    const failure = body.data.reportFailure as { id?: string } | null;
    return failure?.id ? 1 : `no failure id in ${text.slice(0, 200)}`;
  }
  const payload = body.data.reportFailures as { accepted?: number } | null;
  return typeof payload?.accepted === 'number' ? payload.accepted : `no accepted count in ${text.slice(0, 200)}`;
}

export async function runLoad(input: LoadRequest): Promise<LoadResponse> {
  const url = new URL(input.url);
  if (input.client === 'raw') {
    // Requests are built before the clock starts, as the bodies are.
    const requests = input.bodies.map((body) => rawRequest(url, input.token, body));
    const lanes = Array.from({ length: Math.min(input.concurrency, requests.length) }, () => new RawConnection(url));
    try {
      return await runLanes(input, lanes.length, (lane, index) => lanes[lane]!.post(requests[index]!));
    } finally {
      for (const connection of lanes) connection.close();
    }
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  try {
    return await runLanes(input, Math.min(input.concurrency, input.bodies.length), (_lane, index) => post(agent, url, input.token, input.bodies[index]!));
  } finally {
    agent.destroy();
  }
}

/**
 * Sends every body once over `laneCount` lanes, each sending its next request when the previous
 * one is answered, and times each request; the clock runs from the first request to the last answer.
 */
async function runLanes(input: LoadRequest, laneCount: number, send: (lane: number, index: number) => Promise<{ status: number; text: string }>): Promise<LoadResponse> {
  const latenciesMs: number[] = new Array<number>(input.bodies.length);
  const errors: string[] = [];
  let accepted = 0;
  let failedRequests = 0;
  let next = 0;
  const started = performance.now();
  const lane = async (laneIndex: number): Promise<void> => {
    for (let index = next++; index < input.bodies.length; index = next++) {
      const t0 = performance.now();
      let outcome: number | string;
      try {
        const { status, text } = await send(laneIndex, index);
        outcome = acceptedIn(input.kind, status, text);
      } catch (error) {
        outcome = `request failed: ${(error as Error).message}`;
      }
      latenciesMs[index] = performance.now() - t0;
      if (typeof outcome === 'number') {
        accepted += outcome;
      } else {
        failedRequests += 1;
        if (errors.length < 5) errors.push(outcome);
      }
    }
  };
  await Promise.all(Array.from({ length: laneCount }, (_, i) => lane(i)));
  const elapsedMs = performance.now() - started;
  return { elapsedMs, latenciesMs, accepted, failedRequests, errors };
}

if (parentPort && (workerData as { benchLoadWorker?: boolean } | null)?.benchLoadWorker) {
  const port = parentPort;
  const input = (workerData as { request: LoadRequest }).request;
  runLoad(input).then(
    (result) => port.postMessage(result),
    (error: unknown) => port.postMessage({ fatal: (error as Error).stack ?? String(error) }),
  );
}
