/**
 * Ingest benchmark against MariaDB/MySQL: `npx tsx scripts/bench-ingest.ts` (npm run bench:ingest).
 *
 * Not a test: it prints throughput and latency of the real service (HTTP + GraphQL + ingestion)
 * next to raw mysql2 INSERT baselines on the same server, with the targets of the issue, and
 * exits 0 whatever the figures are (1 only when something errors or the stored counts are wrong).
 *
 * Environment (all optional):
 *   BENCH_DATABASE_URL        server to use (default mysql://root@127.0.0.1:3306); the benchmark
 *                             creates its own fd_bench_* databases there and drops them at the end
 *   BENCH_SINGLE_COUNT        measured reportFailure requests (default 6000)
 *   BENCH_SINGLE_WARMUP       warm-up reportFailure requests (default 500)
 *   BENCH_SINGLE_CONCURRENCY  requests in flight (default 32)
 *   BENCH_BATCHES             measured reportFailures batches (default 40)
 *   BENCH_BATCH_WARMUP        warm-up batches (default 4)
 *   BENCH_BATCH_SIZE          reports per batch (default 500)
 *   BENCH_BATCH_CONCURRENCY   batches in flight (default 4)
 *   BENCH_SERVICE             'process' (default): the service runs as its own process, as
 *                             deployed: compiled by tsc (tsconfig.build.json, into
 *                             node_modules/.cache/fd-bench-build), NODE_ENV=production;
 *                             'tsx': its own process from the sources (`node --import tsx src/main.ts`);
 *                             'in-process': createApp() inside this process (NODE_ENV=test), as
 *                             the benchmark did before (shares this process's heap and GC)
 *   BENCH_CLIENT              'raw' (default): the load generator writes pre-built HTTP/1.1
 *                             requests on plain keep-alive TCP connections; 'http': node:http
 *                             with a keep-alive agent, as before (several times the client CPU,
 *                             taken from the cores the service and MariaDB share)
 *   BENCH_SERVICE_NODE_ARGS   node flags for the service process after those of `npm start`, e.g.
 *                             "--cpu-prof --cpu-prof-dir=/tmp/fd-prof" to profile it
 *   BENCH_SERVICE_OUTPUT      file that keeps the service process's stdout and stderr (its logs,
 *                             and e.g. what --trace-gc prints); by default they are discarded
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import pino from 'pino';
import { type App, createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { runLoadInWorker } from './bench/http-load';
import { type ServiceProcess, buildService, startScriptNodeFlags, startServiceProcess } from './bench/service-process';
import type { LoadRequest } from './bench/load-worker';
import {
  benchDatabaseName,
  createDatabase,
  databaseUri,
  dropDatabase,
  failuresTableWithoutForeignKeys,
  rawBaseline,
  serverInfo,
  withConnection,
} from './bench/mysql';
import { type BenchReport, PATTERN_COUNT, ReportGenerator } from './bench/reports';
import { type PhaseResult, type PhaseSummary, fmtInt, fmtMs, renderTable, summarize } from './bench/stats';
import { runBenchmark } from './bench/run';

const ADMIN_TOKEN = `bench-admin-${randomBytes(16).toString('hex')}`;
const TARGET_SINGLE_RATE = 800; // reports/s
const TARGET_SINGLE_P99_MS = 100;
const TARGET_BATCH_RATIO = 0.5; // × raw multi-row INSERT throughput

const REPORT_FAILURE = 'mutation($input: FailureReportInput!) { reportFailure(input: $input) { id status } }';
const REPORT_FAILURES = 'mutation($input: [FailureReportInput!]!) { reportFailures(input: $input) { accepted duplicates failures { id } } }';

function intEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min} (got "${raw}")`);
  return value;
}

const settings = {
  serverUrl: process.env.BENCH_DATABASE_URL || 'mysql://root@127.0.0.1:3306',
  singleCount: intEnv('BENCH_SINGLE_COUNT', 6_000),
  singleWarmup: intEnv('BENCH_SINGLE_WARMUP', 500, 0),
  singleConcurrency: intEnv('BENCH_SINGLE_CONCURRENCY', 32),
  batches: intEnv('BENCH_BATCHES', 40),
  batchWarmup: intEnv('BENCH_BATCH_WARMUP', 4, 0),
  batchSize: intEnv('BENCH_BATCH_SIZE', 500),
  batchConcurrency: intEnv('BENCH_BATCH_CONCURRENCY', 4),
  service: serviceMode(process.env.BENCH_SERVICE),
  client: clientMode(process.env.BENCH_CLIENT),
  serviceNodeArgs: (process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
  serviceOutput: process.env.BENCH_SERVICE_OUTPUT || undefined,
};

function clientMode(raw: string | undefined): 'raw' | 'http' {
  if (raw === undefined || raw === '' || raw === 'raw') return 'raw';
  if (raw === 'http') return raw;
  throw new Error(`BENCH_CLIENT must be "raw" or "http" (got "${raw}")`);
}

function serviceMode(raw: string | undefined): 'process' | 'tsx' | 'in-process' {
  if (raw === undefined || raw === '' || raw === 'process') return 'process';
  if (raw === 'tsx' || raw === 'in-process') return raw;
  throw new Error(`BENCH_SERVICE must be "process", "tsx" or "in-process" (got "${raw}")`);
}

const log = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

/** Busy and total CPU time of the machine so far, in clock ticks (Linux); undefined elsewhere. */
function machineTicks(): { busy: number; total: number } | undefined {
  try {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3]! + (fields[4] ?? 0); // idle + iowait
    const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0); // without guest time (counted in user)
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/**
 * How much CPU other processes used over one second before the run (this process's own use
 * subtracted): other work on the machine makes every figure noisy. Falls back to the load average.
 */
async function otherLoad(): Promise<{ text: string; busy: boolean }> {
  const cores = os.cpus().length;
  const before = machineTicks();
  const ownBefore = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const after = machineTicks();
  const own = process.cpuUsage(ownBefore);
  if (!before || !after || after.total === before.total) {
    const [oneMinute] = os.loadavg();
    return { text: `load average (1 min) ${oneMinute!.toFixed(2)}`, busy: oneMinute! > cores / 2 };
  }
  const machineBusy = (after.busy - before.busy) / (after.total - before.total); // share of all cores
  const ownShare = (own.user + own.system) / 1e6 / cores; // µs over 1 s, as a share of all cores
  const others = Math.max(0, machineBusy - ownShare);
  return { text: `other processes used ${(others * 100).toFixed(0)}% of the ${cores} cores in the second before the run`, busy: others > 0.15 };
}

/** Databases to drop however the run ends. */
const databases: string[] = [];
let cleanup: Promise<void> | undefined;
let runningApp: App | ServiceProcess | undefined;

function cleanUp(): Promise<void> {
  cleanup ??= (async () => {
    if (runningApp) await runningApp.stop().catch((error: unknown) => log(`! stopping the service: ${(error as Error).message}`));
    for (const name of databases) {
      await dropDatabase(settings.serverUrl, name).catch((error: unknown) => log(`! could not drop ${name}: ${(error as Error).message}`));
    }
  })();
  return cleanup;
}

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.once(signal, () => {
    log(`\n${signal}: dropping the benchmark databases…`);
    void cleanUp().finally(() => process.exit(code));
  });
}

async function graphql<T>(url: string, token: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (!body.data || body.errors?.length) throw new Error(`GraphQL error (HTTP ${response.status}): ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** Sends the bodies through the worker-thread client; throws when any request was refused. */
async function load(label: string, request: Omit<LoadRequest, 'bodies'>, bodies: string[], expectedAccepted: number, rows: number): Promise<PhaseResult> {
  const result = await runLoadInWorker({ ...request, bodies });
  if (result.failedRequests || result.accepted !== expectedAccepted) {
    throw new Error(
      `${label}: ${result.failedRequests} of ${bodies.length} requests failed, ${result.accepted} of ${expectedAccepted} reports accepted; first errors:\n  ${result.errors.join('\n  ')}`,
    );
  }
  return { rows, requests: bodies.length, elapsedMs: result.elapsedMs, latenciesMs: result.latenciesMs };
}

function progress(label: string, result: PhaseResult, serviceCpu?: string): void {
  const s = summarize(result);
  log(
    `  ${label.padEnd(40)} ${fmtInt(result.rows).padStart(7)} rows in ${(result.elapsedMs / 1000).toFixed(2).padStart(6)} s → ${fmtInt(s.rowsPerSecond).padStart(7)} rows/s, ` +
      `p50 ${fmtMs(s.p50)} ms, p99 ${fmtMs(s.p99)} ms, max ${fmtMs(s.max)} ms${serviceCpu ? `, ${serviceCpu}` : ''}`,
  );
}

/** CPU time (user + system, ms) a process has used so far (Linux /proc); undefined elsewhere. */
function processCpuMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticksPerSecond = 100; // USER_HZ on Linux
    return ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1000; // utime + stime
  } catch {
    return undefined;
  }
}

/** The database server's pid when it runs on this machine (mariadbd or mysqld under /proc), else undefined. */
function localDatabasePid(serverUrl: string): number | undefined {
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(serverUrl).hostname)) return undefined;
  try {
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const comm = fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (comm === 'mariadbd' || comm === 'mysqld') return Number(entry);
    }
  } catch {
    // not Linux, or /proc unreadable
  }
  return undefined;
}

/** Set in main(): the local database server, whose CPU time per row each phase reports. */
let databasePid: number | undefined;

/**
 * Runs a load phase and says how much CPU it cost per row: the service process (and how busy
 * it was, 100% = one core) and the database server (all its threads; other work on the same
 * server counts too). Steadier than throughput on a shared machine.
 */
async function measured(pid: number | undefined, phase: () => Promise<PhaseResult>): Promise<{ result: PhaseResult; cpu?: string }> {
  const pids = [pid, databasePid];
  const before = pids.map((p) => (p === undefined ? undefined : processCpuMs(p)));
  const result = await phase();
  const after = pids.map((p) => (p === undefined ? undefined : processCpuMs(p)));
  const perRowUs = (i: number) => (before[i] === undefined || after[i] === undefined ? undefined : ((after[i]! - before[i]!) * 1000) / result.rows);
  const parts: string[] = [];
  const service = perRowUs(0);
  if (service !== undefined) parts.push(`service CPU ${(((service * result.rows) / 1000 / result.elapsedMs) * 100).toFixed(0)}%, ${service.toFixed(0)} µs/row`);
  const database = perRowUs(1);
  if (database !== undefined) parts.push(`database ${database.toFixed(0)} µs/row`);
  return parts.length ? { result, cpu: parts.join(', ') } : { result };
}

async function main(): Promise<number> {
  const started = Date.now();
  const info = await serverInfo(settings.serverUrl);
  databasePid = localDatabasePid(settings.serverUrl);
  const cpus = os.cpus();
  log('Failure Desk ingest benchmark (informational; not a test)');
  log(`machine: ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, ${os.platform()} ${os.release()}`);
  log(`node ${process.version}; MariaDB/MySQL ${info.version} at ${new URL(settings.serverUrl).host} (innodb_flush_log_at_trx_commit=${info.flushLogAtTrxCommit}, buffer pool ${info.bufferPoolMiB.toFixed(0)} MiB)`);
  log(
    `note: the HTTP client (${settings.client === 'raw' ? 'plain keep-alive sockets' : 'node:http'}) runs in a worker thread of this process, the service ${settings.service === 'in-process' ? 'in this process' : 'in a process of its own'}, ` +
      `and MariaDB on the same machine: client, service and database share the ${cpus.length} cores, so all figures are lower bounds for a dedicated server.`,
  );
  const others = await otherLoad();
  log(`before start: ${others.text}${others.busy ? ' — the machine is busy with other work: expect noisy figures' : ''}`);
  log();

  // ---- 1. The service --------------------------------------------------------------------------
  const appDb = benchDatabaseName('app');
  await createDatabase(settings.serverUrl, appDb);
  databases.push(appDb);
  const appUri = databaseUri(settings.serverUrl, appDb);
  let url: string;
  let servicePid: number | undefined;
  if (settings.service !== 'in-process') {
    const entry = settings.service === 'process' ? buildService() : undefined;
    const child = await startServiceProcess({ DATABASE_URL: appUri, ADMIN_TOKEN }, { entry, nodeArgs: settings.serviceNodeArgs, outputFile: settings.serviceOutput });
    runningApp = child;
    url = child.url;
    servicePid = child.pid;
  } else {
    const base = loadConfig({ NODE_ENV: 'test', ADMIN_TOKEN, LOG_LEVEL: 'silent' });
    const app = await createApp({ ...base, database: { type: 'mysql', url: appUri } }, { logger: pino({ level: 'silent' }) });
    runningApp = app;
    const port = await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${port}/graphql`;
  }
  const serviceName = `bench-${randomBytes(3).toString('hex')}`;
  const created = await graphql<{ createService: { service: { id: string }; token: string } }>(
    url,
    ADMIN_TOKEN,
    'mutation($input: CreateServiceInput!) { createService(input: $input) { service { id } token } }',
    { input: { name: serviceName, team: 'bench', criticality: 3 } },
  );
  const serviceId = created.createService.service.id;
  const reporterToken = created.createService.token;
  const failuresDdl = await failuresTableWithoutForeignKeys(appUri);
  log(
    settings.service === 'in-process'
      ? `service: in this process (createApp, NODE_ENV=test), app database ${appDb}, ${new URL(url).host}`
      : `service: own process (pid ${servicePid}, ${settings.service === 'process' ? 'tsc build' : 'node --import tsx src/main.ts'}, NODE_ENV=production` +
          `${[...startScriptNodeFlags(), ...settings.serviceNodeArgs].map((flag) => `, ${flag}`).join('')}), app database ${appDb}, ${new URL(url).host}`,
  );
  log(`reports as service "${serviceName}" with its REPORTER token`);
  log(`selection sets: reportFailure { id status }, reportFailures { accepted duplicates failures { id } }`);

  const generator = new ReportGenerator(serviceName, `bench-${randomBytes(4).toString('hex')}`);
  const singleBodies = (count: number) => Array.from({ length: count }, () => JSON.stringify({ query: REPORT_FAILURE, variables: { input: generator.next() } }));
  const batchBodies = (count: number) =>
    Array.from({ length: count }, () => {
      const input: BenchReport[] = Array.from({ length: settings.batchSize }, () => generator.next());
      return JSON.stringify({ query: REPORT_FAILURES, variables: { input } });
    });
  const single = { url, token: reporterToken, concurrency: settings.singleConcurrency, kind: 'single' as const, client: settings.client };
  const batch = { url, token: reporterToken, concurrency: settings.batchConcurrency, kind: 'batch' as const, client: settings.client };

  let sent = 0;
  if (settings.singleWarmup) {
    const warm = await measured(servicePid, () => load('warm-up reportFailure', single, singleBodies(settings.singleWarmup), settings.singleWarmup, settings.singleWarmup));
    progress('warm-up: reportFailure', warm.result, warm.cpu);
    sent += settings.singleWarmup;
  }
  const singleBodiesMeasured = singleBodies(settings.singleCount);
  const singleRun = await measured(servicePid, () => load('reportFailure', single, singleBodiesMeasured, settings.singleCount, settings.singleCount));
  const serviceSingle = singleRun.result;
  sent += settings.singleCount;
  progress(`reportFailure ×${settings.singleCount}, c=${settings.singleConcurrency}`, serviceSingle, singleRun.cpu);

  if (settings.batchWarmup) {
    const rows = settings.batchWarmup * settings.batchSize;
    const warmBodies = batchBodies(settings.batchWarmup);
    const warm = await measured(servicePid, () => load('warm-up reportFailures', batch, warmBodies, rows, rows));
    progress('warm-up: reportFailures', warm.result, warm.cpu);
    sent += rows;
  }
  const batchRows = settings.batches * settings.batchSize;
  const batchBodiesMeasured = batchBodies(settings.batches);
  const batchRun = await measured(servicePid, () => load('reportFailures', batch, batchBodiesMeasured, batchRows, batchRows));
  const serviceBatch = batchRun.result;
  sent += batchRows;
  progress(`reportFailures ${settings.batches}×${settings.batchSize}, c=${settings.batchConcurrency}`, serviceBatch, batchRun.cpu);

  await runningApp.stop();
  runningApp = undefined;

  // ---- 2. Raw baselines on a table of the same shape -------------------------------------------
  const rawDb = benchDatabaseName('raw');
  await createDatabase(settings.serverUrl, rawDb);
  databases.push(rawDb);
  const rawUri = databaseUri(settings.serverUrl, rawDb);
  await withConnection(rawUri, (query) => query(failuresDdl));
  log();
  log(`baseline: raw mysql2 INSERTs into ${rawDb}.failures (same columns and indexes, no foreign key), autocommit`);
  const rawGenerator = new ReportGenerator(serviceName, `raw-${randomBytes(4).toString('hex')}`);
  const raw = rawBaseline(rawUri, Math.max(settings.singleConcurrency, settings.batchConcurrency), rawGenerator, serviceId);
  let rawSent = 0;
  try {
    if (settings.singleWarmup) {
      const warm = await measured(undefined, () => raw.single(settings.singleWarmup, settings.singleConcurrency));
      progress('warm-up: single-row INSERT', warm.result, warm.cpu);
      rawSent += settings.singleWarmup;
    }
    const rawSingleRun = await measured(undefined, () => raw.single(settings.singleCount, settings.singleConcurrency));
    const rawSingle = rawSingleRun.result;
    rawSent += settings.singleCount;
    progress(`single-row INSERT ×${settings.singleCount}, c=${settings.singleConcurrency}`, rawSingle, rawSingleRun.cpu);
    if (settings.batchWarmup) {
      const warm = await measured(undefined, () => raw.multiRow(settings.batchWarmup, settings.batchSize, settings.batchConcurrency));
      progress('warm-up: multi-row INSERT', warm.result, warm.cpu);
      rawSent += settings.batchWarmup * settings.batchSize;
    }
    const rawMultiRun = await measured(undefined, () => raw.multiRow(settings.batches, settings.batchSize, settings.batchConcurrency));
    const rawMulti = rawMultiRun.result;
    rawSent += batchRows;
    progress(`multi-row INSERT ${settings.batches}×${settings.batchSize}, c=${settings.batchConcurrency}`, rawMulti, rawMultiRun.cpu);
    const rawStored = await raw.count();

    // ---- 3. Results ----------------------------------------------------------------------------
    const s = { single: summarize(serviceSingle), batch: summarize(serviceBatch), rawSingle: summarize(rawSingle), rawMulti: summarize(rawMulti) };
    const singleRatio = s.single.rowsPerSecond / s.rawSingle.rowsPerSecond;
    const batchRatio = s.batch.rowsPerSecond / s.rawMulti.rowsPerSecond;
    const singlePass = s.single.rowsPerSecond >= TARGET_SINGLE_RATE && s.single.p99 < TARGET_SINGLE_P99_MS;
    const batchPass = batchRatio >= TARGET_BATCH_RATIO;
    const row = (scenario: string, summary: PhaseSummary, ratio: string, target: string, result: string) => [
      scenario,
      fmtInt(summary.rowsPerSecond),
      fmtMs(summary.p50),
      fmtMs(summary.p99),
      ratio,
      target,
      result,
    ];
    log();
    log(
      renderTable([
        ['scenario', 'rows/s', 'p50 ms', 'p99 ms', 'vs baseline', 'target', 'result'],
        row(`service reportFailure (c=${settings.singleConcurrency})`, s.single, `${singleRatio.toFixed(2)}× raw single`, `≥ ${TARGET_SINGLE_RATE}/s and p99 < ${TARGET_SINGLE_P99_MS} ms`, singlePass ? 'PASS' : 'MISS'),
        row(`service reportFailures ${settings.batchSize}/batch (c=${settings.batchConcurrency})`, s.batch, `${batchRatio.toFixed(2)}× raw multi-row`, `≥ ${TARGET_BATCH_RATIO}× raw multi-row`, batchPass ? 'PASS' : 'MISS'),
        row(`raw single-row INSERT (c=${settings.singleConcurrency})`, s.rawSingle, 'baseline', '', ''),
        row(`raw multi-row INSERT ${settings.batchSize}/stmt (c=${settings.batchConcurrency})`, s.rawMulti, 'baseline', '', ''),
      ]),
    );
    log('p50/p99: per request (one report) for single, per batch / statement for the batched rows. PASS/MISS is informational.');

    // ---- 4. Correctness ------------------------------------------------------------------------
    const stored = await withConnection(appUri, async (query) => {
      const [failures] = await query<Array<{ n: number | string }>>('SELECT COUNT(*) AS n FROM failures');
      const [groups] = await query<Array<{ total: number | string | null; n: number | string }>>('SELECT SUM(count) AS total, COUNT(*) AS n FROM failure_groups');
      return { failures: Number(failures!.n), groupTotal: Number(groups!.total ?? 0), groups: Number(groups!.n) };
    });
    const ok = stored.failures === sent && stored.groupTotal === sent && stored.groups === PATTERN_COUNT && rawStored === rawSent;
    log();
    log('correctness (service database, warm-ups included):');
    log(`  reports sent ............... ${sent}`);
    log(`  SELECT COUNT(*) failures ... ${stored.failures} ${stored.failures === sent ? 'ok' : 'MISMATCH'}`);
    log(`  SUM(count) failure_groups .. ${stored.groupTotal} ${stored.groupTotal === sent ? 'ok' : 'MISMATCH'}`);
    log(`  failure_groups rows ........ ${stored.groups} (expected ${PATTERN_COUNT}) ${stored.groups === PATTERN_COUNT ? 'ok' : 'MISMATCH'}`);
    log(`  raw baseline rows .......... ${rawStored} (expected ${rawSent}) ${rawStored === rawSent ? 'ok' : 'MISMATCH'}`);
    log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return ok ? 0 : 1;
  } finally {
    await raw.pool.end();
  }
}

runBenchmark(main, cleanUp);
