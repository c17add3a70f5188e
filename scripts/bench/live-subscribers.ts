/**
 * The subscribing side of the live benchmark (scripts/bench-live.ts): BENCH_SOCKETS sockets spread
 * over BENCH_CLIENT_THREADS worker threads of the client process, each thread with its own event
 * loop, so that reading 200,000 messages a second is not one loop's serial work and the figures
 * show the server's latency rather than the client's queue.
 *
 * Both scenarios use the same client: `graphql-ws` mode speaks graphql-transport-ws itself on a
 * plain `ws` socket (connection_init, connection_ack, subscribe, pong), `bare` mode just opens the
 * socket. Per message the work is small and the same in both: the frame's start must be exactly
 * `{"id":"<this socket's subscription id>","type":"next","payload":{"data":{"failureReported":{`
 * (so a message of another subscription, an error or any other type does not count), the taskId
 * and receivedAt are read from the bytes that follow, and every 64th message is parsed in full
 * and must agree with what was read. Anything else is parsed and reported.
 *
 * Receipts go straight into shared memory (SharedArrayBuffer): Date.now() per socket × message,
 * each thread writing only its own sockets' rows; the main thread reads them after the drain.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';

export interface SubscriberOptions {
  /** ws:// URL of the server. */
  url: string;
  mode: 'graphql-ws' | 'bare';
  /** graphql-ws: the bearer token sent in connection_init, and the subscription's query. */
  token?: string;
  query?: string;
  /** bare: the `id` every message carries (the captured message's). */
  messageId?: string;
  sockets: number;
  threads: number;
}

/** Per batch and per thread: deliveries, duplicates, first and last receipt (Date.now()). */
const BATCH_SLOTS = 4;
/** Per thread: messages of no known batch, sockets closed while in use, messages parsed in full to check. */
const THREAD_SLOTS = 3;

/** One slot's value from each thread's run of `stride` counters. */
function slotValues(counters: Float64Array, threads: number, stride: number, slot: number): number[] {
  return Array.from({ length: threads }, (_, t) => counters[t * stride + slot]!);
}

function sum(values: readonly number[]): number {
  return values.reduce((total, v) => total + v, 0);
}

const VERIFY_EVERY = 64;

/** What the sockets received of one batch of messages (task ids `${prefix}${seq}`). */
export class Deliveries {
  /** Date.now() at receipt, per socket × seq (0: not received). */
  readonly receipt: Float64Array;
  /** The message's receivedAt (commit / send time), per seq. */
  readonly stampedAt: Float64Array;
  private readonly counters: Float64Array;

  constructor(
    readonly prefix: string,
    readonly sockets: number,
    readonly count: number,
    private readonly threads: number,
  ) {
    this.receipt = new Float64Array(new SharedArrayBuffer(sockets * count * 8));
    this.stampedAt = new Float64Array(new SharedArrayBuffer(count * 8));
    this.counters = new Float64Array(new SharedArrayBuffer(threads * BATCH_SLOTS * 8));
    for (let t = 0; t < threads; t++) this.counters[t * BATCH_SLOTS + 2] = Number.POSITIVE_INFINITY;
  }

  get buffers(): { receipt: SharedArrayBuffer; stampedAt: SharedArrayBuffer; counters: SharedArrayBuffer } {
    return { receipt: this.receipt.buffer as SharedArrayBuffer, stampedAt: this.stampedAt.buffer as SharedArrayBuffer, counters: this.counters.buffer as SharedArrayBuffer };
  }

  get delivered(): number {
    return sum(slotValues(this.counters, this.threads, BATCH_SLOTS, 0));
  }

  get duplicates(): number {
    return sum(slotValues(this.counters, this.threads, BATCH_SLOTS, 1));
  }

  get firstAt(): number {
    return Math.min(...slotValues(this.counters, this.threads, BATCH_SLOTS, 2));
  }

  get lastAt(): number {
    return Math.max(0, ...slotValues(this.counters, this.threads, BATCH_SLOTS, 3));
  }
}

type FromThread = { event: 'connected' } | { event: 'opened' } | { event: 'stopped' } | { event: 'error'; message: string } | { event: 'fatal'; error: string };

/** The sockets, spread over worker threads. */
export class Subscribers {
  readonly errors: string[] = [];

  private constructor(
    private readonly workers: Worker[],
    private readonly threadCounters: Float64Array,
    private readonly replies: Array<Array<(message: FromThread) => void>>,
    readonly sockets: number,
  ) {}

  /** Starts the threads and resolves once every socket is connected (and subscribed, in graphql-ws mode). */
  static async start(options: SubscriberOptions): Promise<Subscribers> {
    const threads = Math.max(1, Math.min(options.threads, options.sockets));
    const threadCounters = new Float64Array(new SharedArrayBuffer(threads * THREAD_SLOTS * 8));
    const file = path.join(__dirname, 'live-subscribers.ts');
    const bootstrap = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(file)});`;
    const workers: Worker[] = [];
    const replies: Array<Array<(message: FromThread) => void>> = [];
    const pool = new Subscribers(workers, threadCounters, replies, options.sockets);
    let first = 0;
    for (let t = 0; t < threads; t++) {
      const count = Math.floor(options.sockets / threads) + (t < options.sockets % threads ? 1 : 0);
      const worker = new Worker(bootstrap, {
        eval: true,
        workerData: { benchLiveSubscribers: true, options, thread: t, firstSocket: first, count, threadCounters: threadCounters.buffer },
      });
      first += count;
      workers.push(worker);
      const waiting: Array<(message: FromThread) => void> = [];
      replies.push(waiting);
      worker.on('message', (message: FromThread) => {
        if (message.event === 'error') {
          if (pool.errors.length < 10) pool.errors.push(message.message);
          return;
        }
        waiting.shift()?.(message);
      });
      worker.on('error', (error) => waiting.splice(0).forEach((w) => w({ event: 'fatal', error: error.stack ?? String(error) })));
      worker.on('exit', (code) => waiting.splice(0).forEach((w) => w({ event: 'fatal', error: `client thread exited with code ${code}` })));
    }
    try {
      await Promise.all(workers.map((_, t) => pool.reply(t)));
    } catch (error) {
      await pool.stop();
      throw error;
    }
    return pool;
  }

  private reply(thread: number): Promise<FromThread> {
    return new Promise((resolve, reject) =>
      this.replies[thread]!.push((message) => (message.event === 'fatal' ? reject(new Error(`client thread ${thread}: ${message.error}`)) : resolve(message))),
    );
  }

  /** A new batch; resolves once every thread routes the prefix's messages to it. */
  async open(prefix: string, count: number): Promise<Deliveries> {
    const batch = new Deliveries(prefix, this.sockets, count, this.workers.length);
    await Promise.all(
      this.workers.map((worker, t) => {
        const reply = this.reply(t);
        worker.postMessage({ cmd: 'open', prefix, count, ...batch.buffers });
        return reply;
      }),
    );
    return batch;
  }

  private sum(slot: number): number {
    return sum(slotValues(this.threadCounters, this.workers.length, THREAD_SLOTS, slot));
  }

  /** Messages whose task id belongs to no open batch. */
  get unexpected(): number {
    return this.sum(0);
  }

  /** Sockets the server closed while they were in use. */
  get closed(): number {
    return this.sum(1);
  }

  /** Messages parsed in full and found equal to what the fast path read. */
  get verified(): number {
    return this.sum(2);
  }

  get threads(): number {
    return this.workers.length;
  }

  /** Event-loop utilisation of each client thread since `since` (from a previous call), for the figures. */
  eventLoopUtilization(since?: ReturnType<Worker['performance']['eventLoopUtilization']>[]): ReturnType<Worker['performance']['eventLoopUtilization']>[] {
    return this.workers.map((w, t) => w.performance.eventLoopUtilization(since?.[t]));
  }

  /** Closes every socket and ends the threads. */
  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(async (worker, t) => {
        const reply = this.reply(t).catch(() => undefined);
        worker.postMessage({ cmd: 'stop' });
        await Promise.race([reply, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
        await worker.terminate();
      }),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// The thread

interface Batch {
  count: number;
  receipt: Float64Array;
  stampedAt: Float64Array;
  counters: Float64Array;
}

function runThread(data: { options: SubscriberOptions; thread: number; firstSocket: number; count: number; threadCounters: SharedArrayBuffer }): void {
  const { options, thread, firstSocket, count } = data;
  const port = parentPort!;
  const mine = new Float64Array(data.threadCounters);
  const batches = new Map<string, Batch>();
  const sockets: WebSocket[] = [];
  let stopping = false;
  let errors = 0;
  let seen = 0;
  const error = (message: string): void => {
    if (errors++ < 10) port.postMessage({ event: 'error', message: `thread ${thread}: ${message}` });
  };
  const TASK_KEY = Buffer.from('"taskId":"');
  const AT_KEY = Buffer.from('"receivedAt":"');

  /** The fast path: one `next` message of `socket`'s subscription. */
  const receive = (socket: number, data: Buffer, prefix: Buffer): void => {
    const now = Date.now();
    const t = data.indexOf(TASK_KEY, prefix.length);
    const taskEnd = t < 0 ? -1 : data.indexOf(0x22, t + TASK_KEY.length);
    if (taskEnd < 0) {
      error(`socket ${socket}: a next message without taskId: ${data.toString('utf8', 0, 300)}`);
      return;
    }
    const taskId = data.toString('latin1', t + TASK_KEY.length, taskEnd);
    const cut = taskId.lastIndexOf('-') + 1;
    const batch = batches.get(taskId.slice(0, cut));
    if (!batch) {
      mine[thread * THREAD_SLOTS]!++;
      return;
    }
    const seq = Number(taskId.slice(cut));
    if (!(Number.isInteger(seq) && seq >= 0 && seq < batch.count)) {
      mine[thread * THREAD_SLOTS]!++;
      return;
    }
    let receivedAt: string | undefined;
    const verify = ++seen % VERIFY_EVERY === 0;
    if (batch.stampedAt[seq] === 0 || verify) {
      const a = data.indexOf(AT_KEY, prefix.length);
      const atEnd = a < 0 ? -1 : data.indexOf(0x22, a + AT_KEY.length);
      receivedAt = atEnd < 0 ? '' : data.toString('latin1', a + AT_KEY.length, atEnd);
      const stamp = Date.parse(receivedAt);
      if (Number.isNaN(stamp)) error(`socket ${socket}: receivedAt "${receivedAt}" of ${taskId} is no date`);
      else if (batch.stampedAt[seq] === 0) batch.stampedAt[seq] = stamp;
    }
    if (verify) {
      const parsed = JSON.parse(data.toString('utf8')) as { id?: string; type?: string; payload?: { data?: { failureReported?: { taskId?: string; receivedAt?: string } }; errors?: unknown } };
      const failure = parsed.payload?.data?.failureReported;
      if (parsed.payload?.errors || failure?.taskId !== taskId || failure?.receivedAt !== receivedAt || `{"id":${JSON.stringify(parsed.id)},"type":"${parsed.type}","payload":{"data":{"failureReported":{` !== prefix.toString()) {
        error(`socket ${socket}: the full parse disagrees with the fast path (${taskId}, ${receivedAt}): ${data.toString('utf8', 0, 300)}`);
      } else mine[thread * THREAD_SLOTS + 2]!++;
    }
    const i = socket * batch.count + seq;
    const slot = thread * BATCH_SLOTS;
    if (batch.receipt[i] !== 0) {
      batch.counters[slot + 1]!++;
      return;
    }
    batch.receipt[i] = now;
    batch.counters[slot]!++;
    if (now < batch.counters[slot + 2]!) batch.counters[slot + 2] = now;
    batch.counters[slot + 3] = now;
  };

  const connectOne = (socket: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const graphqlWs = options.mode === 'graphql-ws';
      const ws = graphqlWs ? new WebSocket(options.url, 'graphql-transport-ws') : new WebSocket(options.url);
      sockets.push(ws);
      const id = graphqlWs ? randomUUID() : options.messageId!;
      const prefix = Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":{"data":{"failureReported":{`);
      let ready = false;
      const settle = (): void => {
        ready = true;
        resolve();
      };
      ws.once('open', () => {
        if (!graphqlWs) return settle();
        ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${options.token}` } }));
      });
      ws.once('error', (e) => {
        if (!ready) reject(new Error(`socket ${socket} failed to connect: ${e.message}`));
      });
      ws.once('close', (code, reason) => {
        if (!ready) reject(new Error(`socket ${socket} closed before it was ready: ${code} ${reason.toString()}`));
        else if (!stopping) {
          mine[thread * THREAD_SLOTS + 1]!++;
          error(`socket ${socket} closed: ${code} ${reason.toString()}`);
        }
      });
      ws.on('message', (data: Buffer) => {
        if (data.length > prefix.length && data.compare(prefix, 0, prefix.length, 0, prefix.length) === 0) {
          receive(socket, data, prefix);
          return;
        }
        let message: { type?: string; id?: string; payload?: unknown };
        try {
          message = JSON.parse(data.toString('utf8')) as typeof message;
        } catch {
          error(`socket ${socket}: not JSON: ${data.toString('utf8', 0, 200)}`);
          return;
        }
        if (graphqlWs && message.type === 'connection_ack' && !ready) {
          ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query: options.query } }));
          settle();
        } else if (message.type === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
        else if (message.type !== 'pong') error(`socket ${socket}: unexpected message ${data.toString('utf8', 0, 300)}`);
      });
    });

  const connectAll = async (): Promise<void> => {
    for (let i = 0; i < count; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, count - i) }, (_, j) => connectOne(firstSocket + i + j)));
    }
  };

  port.on('message', (command: { cmd: string; prefix?: string; count?: number; receipt?: SharedArrayBuffer; stampedAt?: SharedArrayBuffer; counters?: SharedArrayBuffer }) => {
    if (command.cmd === 'open') {
      batches.set(command.prefix!, {
        count: command.count!,
        receipt: new Float64Array(command.receipt!),
        stampedAt: new Float64Array(command.stampedAt!),
        counters: new Float64Array(command.counters!),
      });
      port.postMessage({ event: 'opened' });
    } else if (command.cmd === 'stop') {
      stopping = true;
      for (const ws of sockets) ws.terminate();
      port.postMessage({ event: 'stopped' });
    }
  });
  connectAll().then(
    () => port.postMessage({ event: 'connected' }),
    (e: unknown) => port.postMessage({ event: 'fatal', error: (e as Error).message }),
  );
}

if (!isMainThread && (workerData as { benchLiveSubscribers?: boolean } | undefined)?.benchLiveSubscribers) {
  runThread(workerData as Parameters<typeof runThread>[0]);
}
