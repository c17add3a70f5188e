/**
 * The reporting side of the live benchmark: single `reportFailure` requests at a steady rate over
 * keep-alive connections, each with a unique taskId `${taskPrefix}${seq}`. Runs in a worker
 * thread of the benchmark's client process (started by `runReporter`), so 1,000 sockets busy
 * receiving on the main thread do not delay the requests.
 */
import http from 'node:http';
import path from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { paced } from './live-pacing';

export interface ReporterRequest {
  url: string;
  token: string;
  service: string;
  taskPrefix: string;
  count: number;
  rate: number;
  /** Keep-alive connections at most; further requests wait in the agent (their start time still counts). */
  connections: number;
}

export interface ReporterResult {
  /** Date.now() when request `seq` was started. */
  startedAt: Float64Array;
  /** 1 when request `seq` stored a failure. */
  accepted: Uint8Array;
  /** HTTP round trip per request, ms (NaN when it failed). */
  roundTripMs: Float64Array;
  firstAt: number;
  lastAt: number;
  /** When the last response arrived. */
  doneAt: number;
  errors: string[];
}

const REQUEST_TIMEOUT_MS = 60_000;
const REPORT_FAILURE = 'mutation($input: FailureReportInput!) { reportFailure(input: $input) { id } }';

function report(service: string, taskId: string): Record<string, unknown> {
  return {
    service,
    taskType: 'send-invoice-email',
    taskId,
    pattern: 'MESSAGE_QUEUE',
    source: 'invoices.email',
    attempt: 1,
    errorType: 'SmtpConnectionError',
    errorMessage: `connect ECONNREFUSED 10.0.0.12:587 while sending invoice ${taskId}`,
    severity: 'ERROR',
    attributes: { host: 'worker-1', version: '2.0.1' },
    payload: { invoiceId: 42 },
  };
}

async function run(request: ReporterRequest): Promise<ReporterResult> {
  const url = new URL(request.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: request.connections });
  const result: ReporterResult = {
    startedAt: new Float64Array(request.count),
    accepted: new Uint8Array(request.count),
    roundTripMs: new Float64Array(request.count).fill(Number.NaN),
    firstAt: 0,
    lastAt: 0,
    doneAt: 0,
    errors: [],
  };
  let pending = 0;
  let allSent = false;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const settle = (): void => {
    pending--;
    if (allSent && pending === 0) finish();
  };
  const fail = (message: string): void => {
    if (result.errors.length < 20) result.errors.push(message);
  };
  const post = (seq: number): void => {
    const body = JSON.stringify({ query: REPORT_FAILURE, variables: { input: report(request.service, `${request.taskPrefix}${seq}`) } });
    pending++;
    const t0 = performance.now();
    result.startedAt[seq] = Date.now();
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${request.token}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          result.roundTripMs[seq] = performance.now() - t0;
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            const parsed = JSON.parse(text) as { data?: { reportFailure?: { id?: string } } | null; errors?: Array<{ message: string }> };
            if (res.statusCode === 200 && parsed.data?.reportFailure?.id && !parsed.errors?.length) result.accepted[seq] = 1;
            else fail(`HTTP ${res.statusCode}: ${parsed.errors?.[0]?.message ?? text.slice(0, 200)}`);
          } catch {
            fail(`HTTP ${res.statusCode}, non-JSON body: ${text.slice(0, 200)}`);
          }
          settle();
        });
        res.on('error', (error) => {
          fail(error.message);
          settle();
        });
      },
    );
    // A stalled server must not hang the benchmark: give up on a request after a minute.
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no response within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on('error', (error) => {
      fail(error.message);
      settle();
    });
    req.end(body);
  };
  const { firstAt, lastAt } = await paced(request.count, request.rate, post);
  result.firstAt = firstAt;
  result.lastAt = lastAt;
  allSent = true;
  if (pending > 0) await finished;
  result.doneAt = Date.now();
  agent.destroy();
  return result;
}

/** Runs the reporter in a worker thread (through tsx's require hook) and resolves with its result. */
export function runReporter(request: ReporterRequest): Promise<ReporterResult> {
  const file = path.join(__dirname, 'live-reporter.ts');
  const bootstrap = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(file)});`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(bootstrap, { eval: true, workerData: { benchLiveReporter: true, request } });
    let settled = false;
    worker.once('message', (message: ReporterResult | { fatal: string }) => {
      settled = true;
      void worker.terminate();
      if ('fatal' in message) reject(new Error(`reporter failed: ${message.fatal}`));
      else resolve(message);
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`reporter exited with code ${code} before reporting`));
    });
  });
}

if (!isMainThread && (workerData as { benchLiveReporter?: boolean } | undefined)?.benchLiveReporter) {
  const { request } = workerData as { request: ReporterRequest };
  run(request).then(
    (result) => parentPort!.postMessage(result),
    (error: unknown) => parentPort!.postMessage({ fatal: (error as Error).stack ?? String(error) }),
  );
}
