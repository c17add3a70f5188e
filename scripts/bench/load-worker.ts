/**
 * HTTP load generator, run in a worker thread so the client's work never runs on the server's
 * event loop (both still share the machine's cores). Sends pre-serialised GraphQL bodies over
 * keep-alive connections with at most `concurrency` requests in flight; reports one latency per
 * request and what the server accepted. Started by http-load.ts.
 */
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

export interface LoadRequest {
  url: string;
  token: string;
  bodies: string[];
  concurrency: number;
  /** 'single': data.reportFailure.id; 'batch': data.reportFailures.accepted. */
  kind: 'single' | 'batch';
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
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const latenciesMs: number[] = new Array<number>(input.bodies.length);
  const errors: string[] = [];
  let accepted = 0;
  let failedRequests = 0;
  let next = 0;
  const started = performance.now();
  const lane = async (): Promise<void> => {
    for (let index = next++; index < input.bodies.length; index = next++) {
      const t0 = performance.now();
      let outcome: number | string;
      try {
        const { status, text } = await post(agent, url, input.token, input.bodies[index]!);
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
  await Promise.all(Array.from({ length: Math.min(input.concurrency, input.bodies.length) }, lane));
  const elapsedMs = performance.now() - started;
  agent.destroy();
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
