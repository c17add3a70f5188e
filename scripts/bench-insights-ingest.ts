/**
 * What the insights rollups cost at ingest, on MariaDB/MySQL: `npx tsx scripts/bench-insights-ingest.ts`.
 *
 * Not a test. The same service (HTTP + GraphQL + ingestion, as `bench:ingest` drives it) is loaded
 * in rounds that alternate between rollups ON (the writers as the app runs them) and OFF (the
 * rollup writers replaced by no-ops for the round: what the core benchmark measured before the
 * insights existed), each mode compared with the issue's target (ON within 15% of OFF) two ways:
 * - throughput: all reports of a mode's rounds over their time (wall clock: other work on a
 *   shared machine moves it, which is why short rounds alternate);
 * - CPU per report: this process (the service; the HTTP client runs in a child process) plus the
 *   MariaDB threads of the service's own connections (information_schema.PROCESSLIST TID, read
 *   from /proc), summed over the mode's rounds. Other sessions' load hardly moves it; InnoDB's
 *   background threads (log writer, purge, page cleaner) are not counted.
 * Exits 0 whatever the figures are (1 only when something errors or the stored counts are wrong).
 *
 * Environment (all optional):
 *   BENCH_DATABASE_URL   server (default mysql://root@127.0.0.1:3306); a fresh fd_bench_* database is used and dropped
 *   BENCH_ROUNDS         rounds per mode (default 6)
 *   BENCH_BATCHES        reportFailures batches per round (default 8, 500 reports each, 4 in flight)
 *   BENCH_SINGLES        reportFailure requests per round (default 600, 32 in flight)
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import pino from 'pino';
import { type App, createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { AttributeStatsWriter } from '../src/insights/attribute-stats';
import { MinuteStatsWriter } from '../src/insights/minute-stats';
import fs from 'node:fs';
import { runLoadInProcess } from './bench/load-process';
import { benchDatabaseName, createDatabase, databaseUri, dropDatabase, serverInfo, withConnection } from './bench/mysql';
import { ReportGenerator } from './bench/reports';
import { fmtInt, renderTable } from './bench/stats';
import { runBenchmark } from './bench/run';

const ADMIN_TOKEN = `bench-admin-${randomBytes(16).toString('hex')}`;
const TARGET_RATIO = 0.85; // rollups on: at least 85% of the throughput with them off
const BATCH_SIZE = 500;
const BATCH_CONCURRENCY = 4;
const SINGLE_CONCURRENCY = 32;
const REPORT_FAILURE = 'mutation($input: FailureReportInput!) { reportFailure(input: $input) { id status } }';
const REPORT_FAILURES = 'mutation($input: [FailureReportInput!]!) { reportFailures(input: $input) { accepted duplicates failures { id } } }';

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer (got "${raw}")`);
  return value;
}

const settings = {
  serverUrl: process.env.BENCH_DATABASE_URL || 'mysql://root@127.0.0.1:3306',
  rounds: intEnv('BENCH_ROUNDS', 6),
  batches: intEnv('BENCH_BATCHES', 8),
  singles: intEnv('BENCH_SINGLES', 600),
};

const log = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

// The writers the app calls inside its write transactions, and no-ops to switch them off.
const writers = {
  minuteAdd: MinuteStatsWriter.prototype.add,
  closeTime: MinuteStatsWriter.prototype.addCloseTime,
  attributeAdd: AttributeStatsWriter.prototype.add,
};
function rollups(on: boolean): void {
  const none = async (): Promise<void> => undefined;
  MinuteStatsWriter.prototype.add = on ? writers.minuteAdd : none;
  MinuteStatsWriter.prototype.addCloseTime = on ? writers.closeTime : none;
  AttributeStatsWriter.prototype.add = on ? writers.attributeAdd : none;
}

let database: string | undefined;
let runningApp: App | undefined;
async function cleanUp(): Promise<void> {
  if (runningApp) await runningApp.stop().catch(() => undefined);
  if (database) await dropDatabase(settings.serverUrl, database).catch((error: unknown) => log(`! could not drop ${database}: ${(error as Error).message}`));
}
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(code)));
}

/** CPU seconds (user + system) of the MariaDB threads with these ids, from /proc (Linux); 0 for threads gone. */
function threadCpuSeconds(serverPid: number, tids: Iterable<number>): number {
  const tick = 100; // USER_HZ
  let total = 0;
  for (const tid of tids) {
    try {
      const fields = fs.readFileSync(`/proc/${serverPid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / tick; // utime, stime (fields 14 and 15 of stat)
    } catch {
      // the connection's thread ended
    }
  }
  return total;
}

async function main(): Promise<number> {
  const info = await serverInfo(settings.serverUrl);
  log('Failure Desk: ingest throughput with the insights rollups on and off (informational; not a test)');
  log(`machine: ${os.cpus().length} CPUs, node ${process.version}; MariaDB/MySQL ${info.version} (innodb_flush_log_at_trx_commit=${info.flushLogAtTrxCommit}, buffer pool ${info.bufferPoolMiB.toFixed(0)} MiB); load average ${os.loadavg()[0]!.toFixed(2)}`);
  database = benchDatabaseName('ingestcost');
  await createDatabase(settings.serverUrl, database);
  const uri = databaseUri(settings.serverUrl, database);
  const base = loadConfig({ NODE_ENV: 'test', ADMIN_TOKEN, LOG_LEVEL: 'silent', RETENTION_DAYS: '0' });
  const app = await createApp({ ...base, database: { type: 'mysql', url: uri } }, { logger: pino({ level: 'silent' }) });
  runningApp = app;
  const port = await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}/graphql`;
  const serviceName = `bench-${randomBytes(3).toString('hex')}`;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({ query: 'mutation($input: CreateServiceInput!) { createService(input: $input) { token } }', variables: { input: { name: serviceName, team: 'bench', criticality: 3 } } }),
  });
  const token = ((await response.json()) as { data: { createService: { token: string } } }).data.createService.token;
  const generator = new ReportGenerator(serviceName, `cost-${randomBytes(4).toString('hex')}`);
  let sent = 0;
  let sentWithRollups = 0; // the rollups saw these (the OFF rounds skip them)

  // The MariaDB server process and the threads of this database's connections (pooled: they stay).
  const pidFile = await withConnection(uri, async (query) => (await query<Array<{ file: string }>>('SELECT @@pid_file AS file'))[0]!.file);
  const serverPid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  const connectionThreads = new Set<number>();
  const refreshThreads = () =>
    withConnection(uri, async (query) => {
      const rows = await query<Array<{ tid: number }>>('SELECT TID AS tid FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [database]);
      for (const row of rows) connectionThreads.add(Number(row.tid));
    });
  type Kind = 'batch' | 'single';
  type Mode = 'on' | 'off';
  // Per mode and kind: reports, wall seconds, CPU seconds (service + its MariaDB threads).
  const totals: Record<Mode, Record<Kind, { reports: number; wall: number; cpu: number }>> = {
    on: { batch: { reports: 0, wall: 0, cpu: 0 }, single: { reports: 0, wall: 0, cpu: 0 } },
    off: { batch: { reports: 0, wall: 0, cpu: 0 }, single: { reports: 0, wall: 0, cpu: 0 } },
  };

  const phase = async (mode: Mode, kind: Kind, count: number): Promise<number> => {
    const bodies =
      kind === 'batch'
        ? Array.from({ length: count }, () => JSON.stringify({ query: REPORT_FAILURES, variables: { input: Array.from({ length: BATCH_SIZE }, () => generator.next()) } }))
        : Array.from({ length: count }, () => JSON.stringify({ query: REPORT_FAILURE, variables: { input: generator.next() } }));
    const reports = kind === 'batch' ? count * BATCH_SIZE : count;
    await refreshThreads();
    const dbBefore = threadCpuSeconds(serverPid, connectionThreads);
    const ownBefore = process.cpuUsage();
    const result = await runLoadInProcess({ url, token, bodies, concurrency: kind === 'batch' ? BATCH_CONCURRENCY : SINGLE_CONCURRENCY, kind });
    const own = process.cpuUsage(ownBefore);
    if (result.failedRequests || result.accepted !== reports) throw new Error(`${kind}: ${result.failedRequests} requests failed: ${result.errors.join('; ')}`);
    const t = totals[mode][kind];
    t.reports += reports;
    t.wall += result.elapsedMs / 1000;
    t.cpu += (own.user + own.system) / 1e6 + threadCpuSeconds(serverPid, connectionThreads) - dbBefore; // a thread new this phase counts from 0
    sent += reports;
    if (mode === 'on') sentWithRollups += reports;
    return reports / (result.elapsedMs / 1000);
  };

  log(`rounds: ${settings.rounds} per mode, alternating; each round ${settings.batches} reportFailures batches of ${BATCH_SIZE} (c=${BATCH_CONCURRENCY}) then ${settings.singles} reportFailure (c=${SINGLE_CONCURRENCY})`);
  rollups(true);
  await phase('on', 'batch', 4); // warm-up: JIT, pools, caches (not counted below)
  await phase('on', 'single', 300);
  for (const t of Object.values(totals.on)) Object.assign(t, { reports: 0, wall: 0, cpu: 0 });
  for (let round = 0; round < settings.rounds * 2; round++) {
    const mode: Mode = round % 4 === 0 || round % 4 === 3 ? 'on' : 'off'; // on, off, off, on, …: neither mode always goes first
    rollups(mode === 'on');
    const batch = await phase(mode, 'batch', settings.batches);
    const single = await phase(mode, 'single', settings.singles);
    log(`  round ${round + 1} rollups ${mode === 'on' ? 'ON ' : 'OFF'}: reportFailures ${fmtInt(batch)} reports/s, reportFailure ${fmtInt(single)} reports/s (load average ${os.loadavg()[0]!.toFixed(2)})`);
  }
  rollups(true);

  const rate = (mode: Mode, kind: Kind) => totals[mode][kind].reports / totals[mode][kind].wall;
  const cpuPerReport = (mode: Mode, kind: Kind) => (totals[mode][kind].cpu / totals[mode][kind].reports) * 1e6;
  const verdict = (ratio: number) => [`${(ratio * 100).toFixed(0)}%`, ratio >= TARGET_RATIO ? 'PASS' : 'MISS'];
  const rows: string[][] = [['scenario (all rounds of a mode together)', 'rollups OFF', 'rollups ON', 'ON / OFF', `target ≥ ${TARGET_RATIO * 100}%`]];
  for (const [kind, name] of [['batch', `reportFailures ${BATCH_SIZE}/batch, c=${BATCH_CONCURRENCY}`], ['single', `reportFailure, c=${SINGLE_CONCURRENCY}`]] as const) {
    rows.push([`${name}: reports/s`, fmtInt(rate('off', kind)), fmtInt(rate('on', kind)), ...verdict(rate('on', kind) / rate('off', kind))]);
    rows.push([`${name}: CPU µs per report`, fmtInt(cpuPerReport('off', kind)), fmtInt(cpuPerReport('on', kind)), ...verdict(cpuPerReport('off', kind) / cpuPerReport('on', kind))]);
  }
  log();
  log(renderTable(rows));
  log('CPU per report: the service process plus the MariaDB threads of its connections; ON / OFF for it is OFF ÷ ON (the throughput ratio when CPU-bound).');

  // The rollups saw exactly the reports of the ON rounds (and the warm-up).
  const stored = await withConnection(uri, async (query) => {
    const [f] = await query<Array<{ n: number | string }>>('SELECT COUNT(*) AS n FROM failures');
    const [m] = await query<Array<{ n: number | string | null }>>('SELECT SUM(reported) AS n FROM failure_minute_stats');
    return { failures: Number(f!.n), rolledUp: Number(m!.n ?? 0) };
  });
  const ok = stored.failures === sent && stored.rolledUp === sentWithRollups;
  log(`stored: ${stored.failures} failures (sent ${sent}), minute rollup ${stored.rolledUp} (sent with rollups on ${sentWithRollups}) ${ok ? 'ok' : 'MISMATCH'}`);
  return ok ? 0 : 1;
}

runBenchmark(main, cleanUp);
