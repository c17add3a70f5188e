/**
 * Live-feed benchmark: `npx tsx scripts/bench-live.ts` (npm run bench:live).
 *
 * Not a test: it prints figures and exits 0 whatever they are (1 only when something errors).
 *
 * Scenario "failure-desk": the real app (child process, SQLite in a temp dir or a fresh database on
 * BENCH_DATABASE_URL's server) with BENCH_SOCKETS graphql-ws sockets in this process, spread over
 * BENCH_CLIENT_THREADS worker threads (scripts/bench/live-subscribers.ts: a lean graphql-transport-ws
 * client whose per-message work is a prefix check and reading two fields, every 64th message
 * parsed in full to check), each subscribed to `failureReported(filter: {service})`, while a
 * reporter (worker thread of this process) sends single `reportFailure` requests at BENCH_RATE
 * per second for BENCH_SECONDS. Latency is the client's Date.now() at receipt minus the failure's
 * `receivedAt` (stamped by the server just before its write transaction, on the same machine
 * clock); request start → receipt is printed too. Every socket must receive every accepted report
 * exactly once. Server-side latency is the same stamp → the server's write to the socket, which
 * the app reports through its flush observer (createApp's onLiveFlush, off unless given).
 *
 * Scenario "bare ws": the same number of plain `ws` sockets on a bare WebSocketServer (child
 * process), which broadcasts the same number of messages at the same rate, each the size of a
 * real `next` message (one is captured from the app first), read by the same client threads;
 * latency is send → receipt. This is
 * the baseline the target is stated against. Scenario "bare ws batched" is the same server
 * writing the messages of one timer tick in one write per socket, as the app does with the
 * events of one tick: context for how much of the app's edge over the plain broadcast is that
 * batching, not a target.
 *
 * Environment (all optional):
 *   BENCH_SOCKETS           subscribed sockets (default 1000)
 *   BENCH_RATE              reports (messages) per second (default 200)
 *   BENCH_SECONDS           measured seconds of load (default 20)
 *   BENCH_WARMUP_SECONDS    unmeasured load first, same rate (default 2)
 *   BENCH_REPORTER_CONNECTIONS  keep-alive HTTP connections of the reporter (default 16; fewer than the app's
 *                           MariaDB pool of 20, see the note printed with the results)
 *   BENCH_CLIENT_THREADS    worker threads the subscribed sockets are spread over (default 2)
 *   BENCH_DRAIN_IDLE_MS     after the load, stop waiting once nothing arrived for this long (default 5000)
 *   BENCH_DATABASE_URL      mysql://user@host:port: run the app on MariaDB/MySQL (a fresh database, dropped at the end)
 *   BENCH_REDIS_URL         redis://host:port: run the app with the Redis event bus
 *   BENCH_LIVE_FLUSH_INTERVAL_MS  the app's LIVE_FLUSH_INTERVAL_MS (default: the app's default)
 *   BENCH_SCENARIOS         comma list of failure-desk,bare,bare-batched (default all; bare alone still starts the app
 *                           briefly, without load, to capture the real message it imitates)
 *   BENCH_CPU_PROF_DIR      profile the app server process over the measured window (V8 sampling profiler),
 *                           write the .cpuprofile there and print where the time went
 */
import 'reflect-metadata';
import { type ChildProcess, execSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import readline from 'node:readline';
import WebSocket from 'ws';
import { summarizeCpuProfile } from './bench/live-cpu-profile';
import { type ReporterResult, runReporter } from './bench/live-reporter';
import { type Deliveries, Subscribers } from './bench/live-subscribers';

const TARGET_RATIO = 0.5; // failure-desk deliveries/s ÷ bare broadcast deliveries/s
const TARGET_P99_MS = 250;

function intEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min} (got "${raw}")`);
  return value;
}

const settings = {
  sockets: intEnv('BENCH_SOCKETS', 1_000),
  rate: intEnv('BENCH_RATE', 200),
  seconds: intEnv('BENCH_SECONDS', 20),
  warmupSeconds: intEnv('BENCH_WARMUP_SECONDS', 2, 0),
  drainIdleMs: intEnv('BENCH_DRAIN_IDLE_MS', 5_000),
  reporterConnections: intEnv('BENCH_REPORTER_CONNECTIONS', 16),
  clientThreads: intEnv('BENCH_CLIENT_THREADS', 2),
  databaseUrl: process.env.BENCH_DATABASE_URL || undefined,
  redisUrl: process.env.BENCH_REDIS_URL || undefined,
  scenarios: (process.env.BENCH_SCENARIOS || 'failure-desk,bare,bare-batched').split(',').map((s) => s.trim()),
  cpuProfDir: process.env.BENCH_CPU_PROF_DIR ? path.resolve(process.env.BENCH_CPU_PROF_DIR) : undefined,
};
const RUN_ID = randomBytes(3).toString('hex');
const SUBSCRIPTION = (service: string) =>
  `subscription { failureReported(filter: {service: ${JSON.stringify(service)}}) { id taskId receivedAt severity service { name } group { id count } } }`;

const log = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Child processes

type Reply = Record<string, unknown> & { event: string; error?: string };

/** A server child (scripts/bench/live-server.ts) driven by JSON lines; one command at a time. */
class ServerProcess {
  private readonly waiters: Array<(reply: Reply) => void> = [];
  private readonly exited: Promise<number | null>;
  private ready!: Reply;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static async start(mode: 'app' | 'bare', nodeArgs: string[] = []): Promise<ServerProcess> {
    const file = path.join(__dirname, 'bench', 'live-server.ts');
    const child = spawn(process.execPath, [...nodeArgs, '--require', require.resolve('tsx/cjs'), file, mode], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: {
        ...process.env,
        BENCH_DATABASE_URL: settings.databaseUrl ?? '',
        BENCH_REDIS_URL: settings.redisUrl ?? '',
        BENCH_CPU_PROF_DIR: mode === 'app' ? (settings.cpuProfDir ?? '') : '',
      },
    });
    const server = new ServerProcess(child);
    live.add(server);
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      let message: Reply;
      try {
        message = JSON.parse(line) as Reply;
      } catch {
        process.stderr.write(`[${mode} server] ${line}\n`);
        return;
      }
      server.waiters.shift()?.(message);
    });
    const first = await Promise.race([
      server.next(),
      server.exited.then((code) => ({ event: 'fatal', error: `server process exited with code ${code}` }) as Reply),
    ]);
    if (first.event !== 'ready') {
      live.delete(server);
      child.kill();
      throw new Error(`${mode} server did not start: ${first.error ?? JSON.stringify(first)}`);
    }
    server.ready = first;
    return server;
  }

  get info(): Reply {
    return this.ready;
  }

  private next(): Promise<Reply> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async command<T extends object>(cmd: string, extra: Record<string, unknown> = {}): Promise<T & Reply> {
    const reply = this.next();
    this.child.stdin!.write(`${JSON.stringify({ cmd, ...extra })}\n`);
    const result = await Promise.race([reply, this.exited.then((code) => ({ event: 'fatal', error: `server exited with code ${code}` }) as Reply)]);
    if (result.error) throw new Error(`server command ${cmd} failed: ${result.error}`);
    return result as T & Reply;
  }

  /** Asks the child to stop (it closes everything and drops its database), killing it after 30 s. */
  async stop(): Promise<void> {
    live.delete(this);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const stopped = this.next();
    this.child.stdin!.write(`${JSON.stringify({ cmd: 'stop' })}\n`);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    const reply = await Promise.race([stopped, this.exited.then(() => ({ event: 'stopped' }) as Reply)]);
    await this.exited;
    clearTimeout(timer);
    if (reply.error) throw new Error(`server cleanup failed: ${reply.error}`);
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
  }
}

const live = new Set<ServerProcess>();

// ---------------------------------------------------------------------------------------------
// Deliveries

/** Waits until `batch` holds `expected` deliveries, or nothing new arrived for idleMs. */
async function drain(batch: Deliveries, expected: number, idleMs: number): Promise<void> {
  let last = batch.delivered;
  let lastChange = Date.now();
  while (batch.delivered < expected) {
    await sleep(20);
    if (batch.delivered !== last) {
      last = batch.delivered;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > idleMs) return;
  }
}

// ---------------------------------------------------------------------------------------------
// Figures

/** Latencies in whole milliseconds (both clocks tick in ms), as a histogram. */
class Histogram {
  private readonly buckets = new Uint32Array(600_001);
  count = 0;
  max = 0;

  add(ms: number): void {
    const v = Math.max(0, Math.round(ms));
    this.buckets[Math.min(v, this.buckets.length - 1)]!++;
    this.count++;
    if (v > this.max) this.max = v;
  }

  /** Nearest-rank percentile. */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let v = 0; v < this.buckets.length; v++) {
      seen += this.buckets[v]!;
      if (seen >= rank) return v === this.buckets.length - 1 ? this.max : v;
    }
    return this.max;
  }
}

interface Usage {
  wallMs: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  eventLoopUtilization: number;
}

interface ScenarioResult {
  name: string;
  sockets: number;
  messages: number;
  offeredPerSecond: number;
  /** Messages stamped (committed / sent) per second: first to last stamp. */
  committedPerSecond: number;
  deliveriesPerSecond: number;
  latency: Histogram;
  requestLatency?: Histogram;
  lost: number;
  duplicates: number;
  unexpected: number;
  closedSockets: number;
  /** Last receipt minus last offer. */
  tailMs: number;
  /** Commit (send) stamp → the server's write of the event to each socket, estimated per delivery. */
  serverLatency: ServerWrites;
  serverUsage: Usage;
  clientUsage: Usage;
  /** Event-loop utilisation of each client thread holding sockets. */
  clientThreadsBusy: number[];
  messageBytes?: number;
  notes: string[];
}

/** What the server says it wrote: [taskId, stamp, write started, write ended, sockets], all Date.now() ms. */
type ServerWrite = [string, number, number, number, number];

interface ServerWrites {
  /** Per delivery: stamp → its socket's write, placed evenly between the flush's start and end. */
  perDelivery: Histogram;
  /** Per event: stamp → the write to its last socket returned. */
  lastSocket: Histogram;
  /** Per flush that carried the batch's events: its start → end. */
  flushMs: Histogram;
  events: number;
  socketWrites: number;
}

function serverFigures(prefix: string, writes: ServerWrite[]): ServerWrites {
  const result: ServerWrites = { perDelivery: new Histogram(), lastSocket: new Histogram(), flushMs: new Histogram(), events: 0, socketWrites: 0 };
  const flushes = new Set<string>();
  for (const [taskId, stamp, startedAt, endedAt, sockets] of writes) {
    if (!taskId.startsWith(prefix)) continue;
    result.events++;
    result.socketWrites += sockets;
    result.lastSocket.add(endedAt - stamp);
    const flush = `${startedAt}/${endedAt}`;
    if (!flushes.has(flush)) {
      flushes.add(flush);
      result.flushMs.add(endedAt - startedAt);
    }
    for (let k = 1; k <= sockets; k++) result.perDelivery.add(startedAt + ((endedAt - startedAt) * k) / sockets - stamp);
  }
  return result;
}

function figures(
  name: string,
  batch: Deliveries,
  offered: { firstAt: number; lastAt: number; accepted: (seq: number) => boolean; startedAt?: Float64Array },
): Pick<ScenarioResult, 'name' | 'sockets' | 'messages' | 'offeredPerSecond' | 'committedPerSecond' | 'deliveriesPerSecond' | 'latency' | 'requestLatency' | 'lost' | 'duplicates' | 'tailMs'> {
  const latency = new Histogram();
  const requestLatency = offered.startedAt ? new Histogram() : undefined;
  let messages = 0;
  let delivered = 0;
  let firstStamp = Number.POSITIVE_INFINITY;
  let lastStamp = 0;
  for (let seq = 0; seq < batch.count; seq++) {
    if (!offered.accepted(seq)) continue;
    messages++;
    const stamped = batch.stampedAt[seq]!;
    if (stamped > 0) {
      firstStamp = Math.min(firstStamp, stamped);
      lastStamp = Math.max(lastStamp, stamped);
    }
    for (let socket = 0; socket < batch.sockets; socket++) {
      const at = batch.receipt[socket * batch.count + seq]!;
      if (at === 0) continue;
      delivered++;
      latency.add(at - stamped);
      requestLatency?.add(at - offered.startedAt![seq]!);
    }
  }
  const offerSeconds = Math.max(1e-3, (offered.lastAt - offered.firstAt) / 1000);
  const deliverySeconds = Math.max(1e-3, (batch.lastAt - offered.firstAt) / 1000);
  return {
    name,
    sockets: batch.sockets,
    messages,
    offeredPerSecond: (batch.count - 1) / offerSeconds,
    committedPerSecond: lastStamp > firstStamp ? (messages - 1) / ((lastStamp - firstStamp) / 1000) : Number.NaN,
    deliveriesPerSecond: delivered / deliverySeconds,
    latency,
    requestLatency,
    lost: messages * batch.sockets - delivered,
    duplicates: batch.duplicates,
    tailMs: batch.lastAt ? batch.lastAt - offered.lastAt : Number.NaN,
  };
}

/** CPU of the whole client process (every thread), and how busy each socket thread's loop was. */
class ClientUsage {
  private cpu = process.cpuUsage();
  private elu = performance.eventLoopUtilization();
  private at = performance.now();
  private readonly threads: ReturnType<Subscribers['eventLoopUtilization']>;

  constructor(private readonly subscribers: Subscribers) {
    this.threads = subscribers.eventLoopUtilization();
  }

  read(): { usage: Usage; threads: number[] } {
    const cpu = process.cpuUsage(this.cpu);
    return {
      usage: {
        wallMs: performance.now() - this.at,
        cpuUserMs: cpu.user / 1000,
        cpuSystemMs: cpu.system / 1000,
        eventLoopUtilization: performance.eventLoopUtilization(this.elu).utilization,
      },
      threads: this.subscribers.eventLoopUtilization(this.threads).map((u) => u.utilization),
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Scenario: Failure Desk

async function activeSubscriptions(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const match = /^failuredesk_active_subscriptions\{field="failureReported"\} (\d+)/m.exec(text);
  return match ? Number(match[1]) : 0;
}

async function waitForSubscriptions(port: number, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const active = await activeSubscriptions(port);
    if (active === count) return;
    if (Date.now() > deadline) throw new Error(`${active} failureReported subscriptions are active, not ${count}`);
    await sleep(50);
  }
}

/** One real `next` message as the server sends it, captured on a raw graphql-transport-ws socket. */
async function captureNextMessage(port: number, info: Reply): Promise<string> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/graphql`, 'graphql-transport-ws');
  try {
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const messages: string[] = [];
    let notify: () => void = () => undefined;
    socket.on('message', (data) => {
      messages.push(String(data));
      notify();
    });
    const nextMessage = async (timeoutMs = 10_000): Promise<string> => {
      const deadline = Date.now() + timeoutMs;
      while (messages.length === 0) {
        if (Date.now() > deadline) throw new Error('no message from the server while capturing a sample');
        await new Promise<void>((resolve) => {
          notify = resolve;
          setTimeout(resolve, 50);
        });
      }
      return messages.shift()!;
    };
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${info.viewerToken}` } }));
    if (!(await nextMessage()).includes('connection_ack')) throw new Error('no connection_ack while capturing a sample');
    socket.send(JSON.stringify({ id: randomUUID(), type: 'subscribe', payload: { query: SUBSCRIPTION(String(info.service)) } }));
    await waitForSubscriptions(port, 1, 10_000);
    const sample = await runReporter({ url: `http://127.0.0.1:${port}/graphql`, token: String(info.reporterToken), service: String(info.service), taskPrefix: `capture-${RUN_ID}-`, count: 1, rate: 1, connections: 1 });
    if (sample.accepted[0] !== 1) throw new Error(`sample report failed: ${sample.errors.join('; ')}`);
    const message = await nextMessage();
    if (!message.includes('"type":"next"')) throw new Error(`unexpected sample message: ${message.slice(0, 300)}`);
    return message;
  } finally {
    socket.close();
    await waitForSubscriptions(port, 0, 10_000).catch(() => undefined);
  }
}

/** The captured message with a 36-character id (as graphql-ws clients use) and placeholders for taskId/receivedAt. */
function templateOf(sample: string): { template: string } {
  const message = JSON.parse(sample) as { id: string; payload: { data: { failureReported: { taskId: string; receivedAt: string } } } };
  message.id = randomUUID();
  message.payload.data.failureReported.taskId = '@@TASK@@';
  message.payload.data.failureReported.receivedAt = '@@AT@@';
  return { template: JSON.stringify(message) };
}

async function failureDeskScenario(captureOnly = false): Promise<{ result?: ScenarioResult; template: string; database: string; profile?: string }> {
  const server = await ServerProcess.start('app');
  const info = server.info;
  const port = Number(info.port);
  const url = `http://127.0.0.1:${port}/graphql`;
  let subscribers: Subscribers | undefined;
  try {
    const sample = await captureNextMessage(port, info);
    const { template } = templateOf(sample);
    log(`  captured one real next message (${Buffer.byteLength(sample)} bytes); the baseline sends it with this run's task ids in place`);
    if (captureOnly) return { template, database: String(info.database) };

    const connectStart = performance.now();
    subscribers = await Subscribers.start({
      url: `ws://127.0.0.1:${port}/graphql`,
      mode: 'graphql-ws',
      token: String(info.viewerToken),
      query: SUBSCRIPTION(String(info.service)),
      sockets: settings.sockets,
      threads: settings.clientThreads,
    });
    await waitForSubscriptions(port, settings.sockets, 60_000);
    log(`  ${settings.sockets} graphql-ws sockets connected and subscribed in ${((performance.now() - connectStart) / 1000).toFixed(1)} s (${subscribers.threads} client threads)`);

    const report = (prefix: string, count: number) =>
      runReporter({ url, token: String(info.reporterToken), service: String(info.service), taskPrefix: prefix, count, rate: settings.rate, connections: settings.reporterConnections });

    if (settings.warmupSeconds > 0) {
      const count = settings.warmupSeconds * settings.rate;
      const warm = await subscribers.open(`w-${RUN_ID}-`, count);
      const sent = await report(warm.prefix, count);
      await drain(warm, sum(sent.accepted) * settings.sockets, settings.drainIdleMs);
      log(`  warm-up: ${count} reports, ${warm.delivered} deliveries`);
    }

    const count = settings.seconds * settings.rate;
    const batch = await subscribers.open(`m-${RUN_ID}-`, count);
    await server.command('mark');
    const clientUsage = new ClientUsage(subscribers);
    const sent: ReporterResult = await report(batch.prefix, count);
    const accepted = sum(sent.accepted);
    await drain(batch, accepted * settings.sockets, settings.drainIdleMs);
    const serverUsage = await server.command<Usage & { outboxDepth: number; profile?: string; writes: ServerWrite[] }>('stats');
    const clientFigures = clientUsage.read();
    const roundTrips = Array.from(sent.roundTripMs).filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
    // The response leaves after the commit: stamp → response bounds what the write transaction took, the rest is the live path.
    const toResponse = new Histogram();
    for (let seq = 0; seq < count; seq++) {
      if (sent.accepted[seq] === 1 && batch.stampedAt[seq]! > 0) toResponse.add(sent.startedAt[seq]! + sent.roundTripMs[seq]! - batch.stampedAt[seq]!);
    }
    const notes = [
      `reportFailure HTTP round trip: p50 ${fmt(pct(roundTrips, 50))} ms, p99 ${fmt(pct(roundTrips, 99))} ms, max ${fmt(roundTrips.at(-1) ?? Number.NaN)} ms; ${accepted}/${count} accepted`,
      `stamp → reportFailure response at the reporter (after the commit): p50 ${fmt(toResponse.percentile(50))} ms, p99 ${fmt(toResponse.percentile(99))} ms, max ${fmt(toResponse.max)} ms`,
      `outbox rows still PENDING at the end: ${serverUsage.outboxDepth} (handed-over rows are marked DONE together, about 200 ms after delivery: a few left right after the drain is normal)`,
      `messages parsed in full at the client and found equal to the fast path's reading: ${fmt(subscribers.verified)}`,
      ...sent.errors.map((e) => `report error: ${e}`),
      ...subscribers.errors.map((e) => `socket error: ${e}`),
    ];
    return {
      template,
      profile: serverUsage.profile,
      database: String(info.database),
      result: {
        ...figures('failure-desk', batch, { firstAt: sent.firstAt, lastAt: sent.lastAt, accepted: (seq) => sent.accepted[seq] === 1, startedAt: sent.startedAt }),
        unexpected: subscribers.unexpected,
        closedSockets: subscribers.closed,
        serverLatency: serverFigures(batch.prefix, serverUsage.writes),
        serverUsage,
        clientUsage: clientFigures.usage,
        clientThreadsBusy: clientFigures.threads,
        messageBytes: Buffer.byteLength(template.replace('@@TASK@@', `${batch.prefix}${count - 1}`).replace('@@AT@@', new Date().toISOString())),
        notes,
      },
    };
  } finally {
    await subscribers?.stop();
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Scenario: bare ws broadcast

async function bareScenario(template: string, batched: boolean): Promise<ScenarioResult> {
  const server = await ServerProcess.start('bare');
  const port = Number(server.info.port);
  let subscribers: Subscribers | undefined;
  try {
    const connectStart = performance.now();
    subscribers = await Subscribers.start({
      url: `ws://127.0.0.1:${port}/`,
      mode: 'bare',
      messageId: (JSON.parse(template) as { id: string }).id,
      sockets: settings.sockets,
      threads: settings.clientThreads,
    });
    const { clients } = await server.command<{ clients: number }>('clients');
    if (clients !== settings.sockets) throw new Error(`bare server sees ${clients} sockets, not ${settings.sockets}`);
    log(`  ${settings.sockets} ws sockets connected in ${((performance.now() - connectStart) / 1000).toFixed(1)} s (${subscribers.threads} client threads)`);

    if (settings.warmupSeconds > 0) {
      const count = settings.warmupSeconds * settings.rate;
      const warm = await subscribers.open(`w-${RUN_ID}-`, count);
      await server.command('broadcast', { template, count, rate: settings.rate, taskPrefix: warm.prefix, batched });
      await drain(warm, count * settings.sockets, settings.drainIdleMs);
      log(`  warm-up: ${count} messages, ${warm.delivered} deliveries`);
    }

    const count = settings.seconds * settings.rate;
    const batch = await subscribers.open(`m-${RUN_ID}-`, count);
    await server.command('mark');
    const clientUsage = new ClientUsage(subscribers);
    const sent = await server.command<{ firstAt: number; lastAt: number; messageBytes: number }>('broadcast', { template, count, rate: settings.rate, taskPrefix: batch.prefix, batched });
    await drain(batch, count * settings.sockets, settings.drainIdleMs);
    const serverUsage = await server.command<Usage & { writes: ServerWrite[] }>('stats');
    const clientFigures = clientUsage.read();
    return {
      ...figures(batched ? 'bare ws batched' : 'bare ws', batch, { firstAt: sent.firstAt, lastAt: sent.lastAt, accepted: () => true }),
      unexpected: subscribers.unexpected,
      closedSockets: subscribers.closed,
      serverLatency: serverFigures(batch.prefix, serverUsage.writes),
      serverUsage,
      clientUsage: clientFigures.usage,
      clientThreadsBusy: clientFigures.threads,
      messageBytes: sent.messageBytes,
      notes: [`messages parsed in full at the client and found equal to the fast path's reading: ${fmt(subscribers.verified)}`, ...subscribers.errors.map((e) => `socket error: ${e}`)],
    };
  } finally {
    await subscribers?.stop();
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Output

function sum(values: Uint8Array): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function fmt(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return '-';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r, i) => {
    const line = r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
    return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
  });
}

function cpuLine(label: string, usage: Usage): string {
  const cpu = usage.cpuUserMs + usage.cpuSystemMs;
  return `${label}: ${fmt((cpu / usage.wallMs) * 100)}% of one core (user ${fmt(usage.cpuUserMs)} ms + system ${fmt(usage.cpuSystemMs)} ms over ${fmt(usage.wallMs / 1000, 1)} s), event loop ${fmt(usage.eventLoopUtilization * 100)}% busy`;
}

/** Load average and (Linux) CPU pressure: other work on the machine makes every figure noisy. */
function machineLoad(): string {
  let pressure = '';
  try {
    const some = /some avg10=([\d.]+) avg60=([\d.]+)/.exec(fs.readFileSync('/proc/pressure/cpu', 'utf8'));
    if (some) pressure = `, CPU pressure (tasks waiting for a core) ${some[1]}% over 10 s, ${some[2]}% over 60 s`;
  } catch {
    // no PSI on this kernel
  }
  return `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}${pressure}`;
}

function ulimitNofile(): number {
  try {
    return Number(execSync('ulimit -n', { shell: '/bin/sh', encoding: 'utf8' }).trim());
  } catch {
    return Number.NaN;
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const cpus = os.cpus();
  const nofile = ulimitNofile();
  log('Failure Desk live-feed benchmark (npm run bench:live)');
  log(`node ${process.version}, os.cpus().length = ${cpus.length} (${cpus[0]?.model ?? 'unknown cpu'}), ${os.platform()} ${os.release()}`);
  log(`machine before the run: ${machineLoad()}`);
  log(`open-file limit (ulimit -n) ${nofile}: each process holds one descriptor per socket (${settings.sockets} here), so no raise is needed below ~${Number.isFinite(nofile) ? fmt(nofile - 200) : '?'} sockets`);
  if (Number.isFinite(nofile) && nofile < settings.sockets + 200) throw new Error(`ulimit -n is ${nofile}: raise it above ${settings.sockets + 200} (ulimit -n 65536) for ${settings.sockets} sockets`);
  log(`load: ${settings.sockets} subscribed sockets, ${settings.rate} messages/s for ${settings.seconds} s (after ${settings.warmupSeconds} s of warm-up), drain until all arrived or ${settings.drainIdleMs} ms without a delivery`);
  log(`      reports are single reportFailure requests over at most ${settings.reporterConnections} keep-alive connections, all in one failure group`);
  log(`layout: each server runs in its own child process (one at a time); the sockets (${settings.clientThreads} worker threads, BENCH_CLIENT_THREADS) and the reporter`);
  log(`        (one more worker thread) run in this process, so client work never runs on the server's event loop. All share the machine's ${cpus.length} cores,`);
  log('        so client CPU still competes with the server (shown below).');
  log('');

  let fd: Awaited<ReturnType<typeof failureDeskScenario>> | undefined;
  let bare: ScenarioResult | undefined;
  let bareBatched: ScenarioResult | undefined;
  if (settings.scenarios.some((s) => s === 'failure-desk' || s.startsWith('bare'))) {
    if (!settings.scenarios.includes('failure-desk')) log('(the app runs once without load only to capture a real next message for the baseline)');
    log(`failure-desk: the app on ${settings.databaseUrl ? 'MariaDB/MySQL' : 'SQLite'}, ${settings.redisUrl ? 'Redis' : 'in-memory'} event bus, OUTBOX_POLL_INTERVAL_MS=50, LIVE_BUFFER_LIMIT=1000000, WS_KEEPALIVE_MS=600000`);
    log('  (slow-consumer close and keep-alive drop set out of reach: a client process that falls behind reading shows as latency, not as lost sockets)');
    fd = await failureDeskScenario(!settings.scenarios.includes('failure-desk'));
    log(`  database: ${fd.database}`);
  }
  if (settings.scenarios.includes('bare')) {
    log('bare ws: a WebSocketServer broadcasting each message (serialised once) to every socket');
    bare = await bareScenario(fd!.template, false);
  }
  if (settings.scenarios.includes('bare-batched')) {
    log('bare ws batched: the same, but the messages of one timer tick leave in one write per socket (socket corked until setImmediate),');
    log('                 as the app batches a tick\'s events: the ceiling of a server that does nothing but send');
    bareBatched = await bareScenario(fd!.template, true);
  }
  log(`machine after the run: ${machineLoad()} (this benchmark's own processes included)`);
  const results = [fd?.result, bare, bareBatched].filter((r): r is ScenarioResult => r !== undefined);

  log('');
  log(
    table([
      ['scenario', 'sockets', 'msgs', 'msgs/s offered', 'msgs/s stamped', 'deliveries/s', 'p50 ms', 'p99 ms', 'max ms', 'server p50', 'server p99', 'server max', 'lost', 'duplicates', 'tail ms', 'bytes/msg'],
      ...results.map((r) => [
        r.name,
        fmt(r.sockets),
        fmt(r.messages),
        fmt(r.offeredPerSecond, 1),
        fmt(r.committedPerSecond, 1),
        fmt(r.deliveriesPerSecond),
        fmt(r.latency.percentile(50)),
        fmt(r.latency.percentile(99)),
        fmt(r.latency.max),
        fmt(r.serverLatency.perDelivery.percentile(50)),
        fmt(r.serverLatency.perDelivery.percentile(99)),
        fmt(r.serverLatency.perDelivery.max),
        fmt(r.lost),
        fmt(r.duplicates),
        fmt(r.tailMs),
        fmt(r.messageBytes ?? Number.NaN),
      ]),
    ]).join('\n'),
  );
  log('latency (p50/p99/max): failure-desk = failure.receivedAt (server clock, stamped before the write transaction) → Date.now() at the client; bare ws = send → receipt.');
  log('server p50/p99/max: the same stamp → the server\'s write of the message to the socket (the app reports each flush of live events: when it started,');
  log('when its last socket write returned, how many sockets each event went to; a delivery\'s write is placed evenly in between). What the client adds');
  log('on top is time in the kernel and the client\'s own queue: when server and client figures are far apart, the client is the bottleneck.');
  log('msgs/s offered = the client\'s send schedule; msgs/s stamped = messages ÷ (last − first receivedAt / send stamp): how fast the server actually');
  log('took them in. When it falls behind, reports wait in the reporter\'s HTTP queue before they are stamped, so commit → receipt stays short');
  log('while request start → receipt (below) grows: read both.');
  log('deliveries/s = messages received by all sockets ÷ (last receipt − first offer); tail = last receipt − last offer; lost = messages × sockets − unique receipts.');
  for (const r of results) {
    log('');
    log(`${r.name}:`);
    if (r.requestLatency) log(`  request start → receipt: p50 ${fmt(r.requestLatency.percentile(50))} ms, p99 ${fmt(r.requestLatency.percentile(99))} ms, max ${fmt(r.requestLatency.max)} ms`);
    log(`  ${cpuLine('server process', r.serverUsage)}`);
    const sl = r.serverLatency;
    log(`  server writes: ${fmt(sl.events)} events to ${fmt(sl.socketWrites)} sockets in all; stamp → write to the event's last socket p50 ${fmt(sl.lastSocket.percentile(50))} ms, p99 ${fmt(sl.lastSocket.percentile(99))} ms, max ${fmt(sl.lastSocket.max)} ms; one flush (all sockets) p50 ${fmt(sl.flushMs.percentile(50))} ms, p99 ${fmt(sl.flushMs.percentile(99))} ms, max ${fmt(sl.flushMs.max)} ms`);
    log(`  ${cpuLine('client process (socket threads + reporter thread)', r.clientUsage)}`);
    log(`  client socket threads' event loops busy: ${r.clientThreadsBusy.map((u) => `${fmt(u * 100)}%`).join(', ')}`);
    // CPU time is what other jobs on the machine disturb least: per delivery it compares runs taken under different load.
    const deliveries = r.latency.count;
    const perDelivery = (u: Usage) => fmt(((u.cpuUserMs + u.cpuSystemMs) * 1000) / Math.max(1, deliveries), 2);
    log(`  CPU per delivery: server ${perDelivery(r.serverUsage)} µs, client ${perDelivery(r.clientUsage)} µs (${fmt(deliveries)} deliveries${r.requestLatency ? '; the server figure includes taking in the reports' : ''})`);
    if (r.closedSockets || r.unexpected) log(`  sockets closed during the run: ${r.closedSockets}; messages of no known batch: ${r.unexpected}`);
    for (const note of r.notes) log(`  ${note}`);
  }

  if (fd?.result && bare) {
    const f = fd.result;
    const ratio = f.deliveriesPerSecond / bare.deliveriesPerSecond;
    const p99 = f.latency.percentile(99);
    log('');
    log(`ratio failure-desk deliveries/s ÷ bare ws deliveries/s = ${ratio.toFixed(2)}`);
    if (bareBatched) log(`ratio failure-desk deliveries/s ÷ bare ws batched deliveries/s = ${(f.deliveriesPerSecond / bareBatched.deliveriesPerSecond).toFixed(2)} (context, not the target)`);
    log('targets (informational; the exit code is 0 either way):');
    log(`  delivery ≥ ${TARGET_RATIO}× bare broadcast: ${ratio >= TARGET_RATIO ? 'PASS' : 'MISS'} (${ratio.toFixed(2)}×)`);
    log(`  p99 < ${TARGET_P99_MS} ms at ${settings.rate} reports/s to ${settings.sockets} subscribers: ${p99 < TARGET_P99_MS ? 'PASS' : 'MISS'} (${fmt(p99)} ms)`);
    log(`  no loss: ${f.lost === 0 && f.duplicates === 0 ? 'PASS' : 'MISS'} (${fmt(f.lost)} lost, ${fmt(f.duplicates)} duplicates)`);
    if (settings.rate !== 200 || settings.sockets !== 1_000) log(`  (the targets are stated for 200 reports/s to 1,000 subscribers; this run used ${settings.rate}/s to ${settings.sockets})`);
  }

  if (fd?.profile) {
    log('');
    log(`CPU profile of the app server process over the measured window: ${fd.profile}`);
    for (const line of summarizeCpuProfile(fd.profile, 30)) log(`  ${line}`);
  }
}

const cleanup = async (): Promise<void> => {
  await Promise.all([...live].map((s) => s.stop().catch(() => s.kill())));
};
process.on('SIGINT', () => {
  void cleanup().finally(() => process.exit(1));
});

main().then(
  async () => {
    await cleanup();
    process.exit(0);
  },
  async (error: unknown) => {
    process.stderr.write(`bench-live failed: ${(error as Error).stack ?? String(error)}\n`);
    await cleanup();
    process.exit(1);
  },
);
