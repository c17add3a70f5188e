/**
 * Server side of the live benchmark (scripts/bench-live.ts), run as a child process so that the
 * 1,000 client sockets in the parent never run on the server's event loop.
 *
 *   node --require tsx/cjs scripts/bench/live-server.ts app    the real Failure Desk app
 *   node --require tsx/cjs scripts/bench/live-server.ts bare   a bare `ws` broadcast server
 *
 * Talks JSON lines: prints {"event":"ready",...} on stdout once listening, then answers each
 * command read from stdin ({"cmd":"mark"|"stats"|"clients"|"broadcast"|"stop", ...}) with one
 * line. Anything else the process prints goes to stderr.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import readline from 'node:readline';
import Database from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import pino from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { WindowProfiler } from './live-cpu-profile';
import { paced } from './live-pacing';

type Reply = Record<string, unknown>;
type Command = { cmd: string; [key: string]: unknown };

const out = (message: Reply): void => {
  process.stdout.write(`${JSON.stringify(message)}\n`);
};

/** CPU and event-loop use of this process since the last `mark`. */
class Usage {
  private cpu = process.cpuUsage();
  private elu = performance.eventLoopUtilization();
  private at = performance.now();

  mark(): void {
    this.cpu = process.cpuUsage();
    this.elu = performance.eventLoopUtilization();
    this.at = performance.now();
  }

  read(): Reply {
    const cpu = process.cpuUsage(this.cpu);
    const elu = performance.eventLoopUtilization(this.elu);
    return {
      wallMs: performance.now() - this.at,
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
      eventLoopUtilization: elu.utilization,
      rssMiB: process.memoryUsage().rss / 1024 / 1024,
    };
  }
}

/**
 * When the server wrote each event to its sockets: [taskId, stamp (receivedAt / send time),
 * write started, write ended, sockets], Date.now() ms. The app reports it through its flush
 * observer (createApp's onLiveFlush), the bare server around its own writes.
 */
class WriteLog {
  private entries: Array<[string, number, number, number, number]> = [];

  record(written: ReadonlyArray<{ item: unknown; sockets: number }>, startedAt: number, endedAt: number): void {
    for (const { item, sockets } of written) {
      const failure = item as { taskId?: unknown; receivedAt?: unknown };
      if (typeof failure.taskId === 'string' && failure.receivedAt instanceof Date) this.entries.push([failure.taskId, failure.receivedAt.getTime(), startedAt, endedAt, sockets]);
    }
  }

  add(taskId: string, stamp: number, startedAt: number, endedAt: number, sockets: number): void {
    this.entries.push([taskId, stamp, startedAt, endedAt, sockets]);
  }

  clear(): void {
    this.entries = [];
  }

  take(): Array<[string, number, number, number, number]> {
    const entries = this.entries;
    this.entries = [];
    return entries;
  }
}

async function startApp(): Promise<{ ready: Reply; handle(command: Command): Promise<Reply | undefined>; stop(): Promise<void> }> {
  const adminToken = `bench-admin-${randomBytes(16).toString('hex')}`;
  const writes = new WriteLog();
  const database = await createDatabase();
  let app: Awaited<ReturnType<typeof createApp>>;
  try {
    const base = loadConfig({
      NODE_ENV: 'test',
      ADMIN_TOKEN: adminToken,
      PORT: '0',
      HOST: '127.0.0.1',
      OUTBOX_POLL_INTERVAL_MS: process.env.BENCH_OUTBOX_POLL_INTERVAL_MS || '50',
      WS_MAX_CONNECTIONS_PER_TOKEN: '5000',
      // The clients all live in one process on a shared machine: when it falls behind reading, the
      // app's slow-consumer close and the keep-alive (no pong within 12 s: terminate) would drop
      // them. Those policies are tested elsewhere; here a lagging client shows as latency, not loss.
      LIVE_BUFFER_LIMIT: '1000000',
      WS_KEEPALIVE_MS: '600000',
      ...(process.env.BENCH_REDIS_URL ? { REDIS_URL: process.env.BENCH_REDIS_URL } : {}),
      ...(process.env.BENCH_LIVE_FLUSH_INTERVAL_MS ? { LIVE_FLUSH_INTERVAL_MS: process.env.BENCH_LIVE_FLUSH_INTERVAL_MS } : {}),
    });
    app = await createApp({ ...base, database: database.config }, { logger: pino({ level: 'silent' }), onLiveFlush: (written, startedAt, endedAt) => writes.record(written, startedAt, endedAt) });
  } catch (error) {
    await database.drop().catch(() => undefined);
    throw error;
  }
  const port = await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}/graphql`;
  const gql = async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: unknown[] };
    if (!body.data || body.errors?.length) throw new Error(`setup request failed: ${JSON.stringify(body.errors)}`);
    return body.data;
  };
  const service = `bench-live-${randomBytes(4).toString('hex')}`;
  const created = await gql<{ createService: { token: string } }>(
    'mutation($input: CreateServiceInput!) { createService(input: $input) { token } }',
    { input: { name: service, team: 'bench', criticality: 3, retryWebhookUrl: null } },
  );
  const viewer = await gql<{ createApiToken: { token: string } }>('mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token } }', {
    input: { role: 'VIEWER', service: null },
  });
  const usage = new Usage();
  const profiler = process.env.BENCH_CPU_PROF_DIR ? new WindowProfiler(process.env.BENCH_CPU_PROF_DIR) : undefined;
  return {
    ready: {
      port,
      service,
      reporterToken: created.createService.token,
      viewerToken: viewer.createApiToken.token,
      database: database.description,
      bus: app.config.redisUrl ? 'redis' : 'memory',
    },
    async handle(command) {
      if (command.cmd === 'mark') {
        await profiler?.start();
        usage.mark();
        writes.clear();
        return { ok: true };
      }
      if (command.cmd === 'stats') {
        const read = usage.read();
        const profile = await profiler?.stop('failure-desk-server');
        const depth = await app.outbox.depth();
        return { ...read, outboxDepth: depth, profile, writes: writes.take() };
      }
      return undefined;
    },
    async stop() {
      try {
        await app.stop();
      } finally {
        await database.drop();
      }
    },
  };
}

/** SQLite in a temp folder, or a fresh database on BENCH_DATABASE_URL's server; and how to remove it. */
async function createDatabase(): Promise<{
  config: { type: 'sqlite'; path: string } | { type: 'mysql'; url: string };
  description: string;
  drop(): Promise<void>;
}> {
  const serverUrl = process.env.BENCH_DATABASE_URL;
  if (!serverUrl) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'failure-desk-bench-live-'));
    const probe = new Database(':memory:');
    const version = (probe.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
    probe.close();
    return {
      config: { type: 'sqlite', path: path.join(dir, 'bench.sqlite') },
      description: `SQLite ${version} (file in ${dir})`,
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const server = new URL(serverUrl);
  server.pathname = '';
  const name = `fd_bench_live_${randomBytes(4).toString('hex')}`;
  const admin = await createConnection({ uri: server.toString() });
  let version: string;
  try {
    const [rows] = (await admin.query('SELECT VERSION() AS v')) as unknown as [Array<{ v: string }>];
    version = rows[0]!.v;
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    config: { type: 'mysql', url: url.toString() },
    description: `MariaDB/MySQL ${version} (database ${name} on ${server.host})`,
    drop: async () => {
      const conn = await createConnection({ uri: server.toString() });
      try {
        await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await conn.end();
      }
    },
  };
}

/**
 * The baseline: a bare `ws` server that broadcasts each message to every connected socket,
 * serialised once, `wss.clients.forEach(send)`, as the ws README's broadcast example does.
 */
async function startBare(): Promise<{ ready: Reply; handle(command: Command): Promise<Reply | undefined>; stop(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const usage = new Usage();
  const writes = new WriteLog();
  return {
    ready: { port: (wss.address() as AddressInfo).port },
    async handle(command) {
      if (command.cmd === 'mark') {
        usage.mark();
        writes.clear();
        return { ok: true };
      }
      if (command.cmd === 'stats') return { ...usage.read(), writes: writes.take() };
      if (command.cmd === 'clients') return { clients: wss.clients.size };
      if (command.cmd === 'broadcast') {
        // The message is the captured real `next` message with the task id and receivedAt swapped
        // in, so its size matches; receivedAt carries the send time (this machine's clock).
        // `batched`: the messages of one timer tick (several when the loop fell behind) leave in one
        // write per socket, as the app's direct delivery does; otherwise one write per message.
        const { template, count, rate, taskPrefix, batched } = command as unknown as { template: string; count: number; rate: number; taskPrefix: string; batched?: boolean };
        let bytes = 0;
        const corked = new Set<{ uncork(): void }>();
        /** This tick's messages (batched): [taskId, stamp, sockets]; written when the sockets are uncorked. */
        let tick: Array<[string, number, number]> = [];
        const run = await paced(count, rate, (seq) => {
          const taskId = `${taskPrefix}${seq}`;
          const now = Date.now();
          const message = template.replace('@@TASK@@', taskId).replace('@@AT@@', new Date(now).toISOString());
          bytes = message.length;
          let sockets = 0;
          for (const client of wss.clients) {
            if (client.readyState !== 1) continue;
            if (batched && corked.size === 0) {
              setImmediate(() => {
                const startedAt = Date.now();
                for (const raw of corked) raw.uncork();
                corked.clear();
                const endedAt = Date.now();
                for (const [id, stamp, n] of tick) writes.add(id, stamp, startedAt, endedAt, n);
                tick = [];
              });
            }
            const raw = (client as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
            if (batched && !corked.has(raw)) {
              raw.cork();
              corked.add(raw);
            }
            (client as WebSocket).send(message);
            sockets++;
          }
          if (batched) tick.push([taskId, now, sockets]);
          else writes.add(taskId, now, now, Date.now(), sockets);
        });
        return { sent: count, firstAt: run.firstAt, lastAt: run.lastAt, messageBytes: bytes };
      }
      return undefined;
    },
    async stop() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  if (mode !== 'app' && mode !== 'bare') throw new Error('usage: live-server.ts app|bare');
  const server = mode === 'app' ? await startApp() : await startBare();
  out({ event: 'ready', ...server.ready, pid: process.pid });
  const lines = readline.createInterface({ input: process.stdin });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    try {
      await server.stop();
      out({ event: 'stopped' });
    } catch (error) {
      out({ event: 'stopped', error: (error as Error).message });
    }
    lines.close();
    process.exit(0); // a normal exit, so --cpu-prof writes its profile
  };
  lines.on('line', (line) => {
    void (async () => {
      let command: Command;
      try {
        command = JSON.parse(line) as Command;
      } catch {
        return;
      }
      if (command.cmd === 'stop') return stop();
      try {
        const reply = await server.handle(command);
        out(reply ? { event: 'reply', cmd: command.cmd, ...reply } : { event: 'reply', cmd: command.cmd, error: `unknown command ${command.cmd}` });
      } catch (error) {
        out({ event: 'reply', cmd: command.cmd, error: (error as Error).stack ?? String(error) });
      }
    })();
  });
  // The parent went away without saying stop: clean up all the same.
  lines.on('close', () => void stop());
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((error: unknown) => {
  out({ event: 'fatal', error: (error as Error).stack ?? String(error) });
  process.exit(1);
});
