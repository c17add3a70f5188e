/**
 * Insights benchmark against MariaDB/MySQL: `npx tsx scripts/bench-insights.ts` (npm run bench:insights).
 *
 * Not a test: seeds a month of skewed failures (bulk loader: multi-row INSERTs of the failures,
 * groups and the exact rollup rows the app would have written), then times every statistics
 * query through GraphQL over HTTP next to a naive GROUP BY over the raw `failures` table in the
 * same run, checks both give the same numbers, and prints them with the targets of the issue.
 * Exits 0 whatever the figures are (1 only when something errors or the seed does not verify).
 *
 * Environment (all optional):
 *   BENCH_DATABASE_URL   server (default mysql://root@127.0.0.1:3306); a fresh fd_bench_* database is
 *                        created there and dropped at the end (also on SIGINT/SIGTERM)
 *   BENCH_FAILURES       failures to seed (default 1000000)
 *   BENCH_SERVICES       services (default 50)
 *   BENCH_GROUPS         failure groups (default 2000)
 *   BENCH_DAYS           days covered, ending now (default 30)
 *   BENCH_RUNS           measured runs per query (default 20, after 2 warm-up runs)
 *   BENCH_NAIVE_RUNS     runs of each naive query (default 5, after 1 warm-up run)
 *   BENCH_SEED           random seed (default 42)
 *   BENCH_ONLY           only the queries whose name matches this regular expression
 *   BENCH_KEEP_DATABASE  set to 1: keep the database at the end (its name is printed) for experiments
 *
 * The process runs with NODE_ENV=production unless NODE_ENV is set (as a deployment would;
 * graphql-js development checks off); the app's configuration itself is given explicitly.
 */
import './bench/production-mode';
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { createConnection } from 'mysql2/promise';
import pino from 'pino';
import { type App, createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { benchDatabaseName, createDatabase, databaseUri, dropDatabase, serverInfo } from './bench/mysql';
import { type BenchQuery, benchQueries, sameAnswer } from './bench/insights-queries';
import { MINUTE_MS, type Query, type SeedService, generateFailures, loadSeed, planSeed, verifySeed } from './bench/insights-seed';
import { fmtMs, percentile, renderTable } from './bench/stats';
import { runBenchmark } from './bench/run';

const ADMIN_TOKEN = `bench-admin-${randomBytes(16).toString('hex')}`;
const TARGET_P50_MS = 50;
const TARGET_SPEEDUP = 20;

function intEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min} (got "${raw}")`);
  return value;
}

const settings = {
  serverUrl: process.env.BENCH_DATABASE_URL || 'mysql://root@127.0.0.1:3306',
  failures: intEnv('BENCH_FAILURES', 1_000_000),
  services: intEnv('BENCH_SERVICES', 50),
  groups: intEnv('BENCH_GROUPS', 2_000),
  days: intEnv('BENCH_DAYS', 30),
  runs: intEnv('BENCH_RUNS', 20),
  naiveRuns: intEnv('BENCH_NAIVE_RUNS', 5),
  seed: intEnv('BENCH_SEED', 42, 0),
  only: process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null,
  keepDatabase: process.env.BENCH_KEEP_DATABASE === '1',
};

const log = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

let database: string | undefined;
let runningApp: App | undefined;
let cleanup: Promise<void> | undefined;
const closers: Array<() => Promise<unknown>> = [];

function cleanUp(): Promise<void> {
  cleanup ??= (async () => {
    for (const close of closers) await close().catch(() => undefined);
    if (runningApp) await runningApp.stop().catch((error: unknown) => log(`! stopping the app: ${(error as Error).message}`));
    if (database && settings.keepDatabase) log(`kept database ${database} (BENCH_KEEP_DATABASE=1); drop it when done`);
    else if (database) await dropDatabase(settings.serverUrl, database).catch((error: unknown) => log(`! could not drop ${database}: ${(error as Error).message}`));
  })();
  return cleanup;
}

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.once(signal, () => {
    log(`\n${signal}: dropping the benchmark database…`);
    void cleanUp().finally(() => process.exit(code));
  });
}

async function graphql<T = Record<string, unknown>>(url: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (!body.data || body.errors?.length) throw new Error(`GraphQL error (HTTP ${response.status}): ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** Runs `work` `warmups` times, then `runs` times timed: the last result and the times in ms, sorted. */
async function timed<T>(runs: number, warmups: number, work: () => Promise<T>): Promise<{ result: T; ms: number[] }> {
  return (await timedInTurns(runs, warmups, [work]))[0]!;
}

/** As `timed` for several pieces of work, one run of each in turn, warm-ups included. */
async function timedInTurns<T>(runs: number, warmups: number, works: ReadonlyArray<() => Promise<T>>): Promise<Array<{ result: T; ms: number[] }>> {
  const results = works.map(() => ({ result: undefined as T, ms: [] as number[] }));
  for (let i = 0; i < warmups + runs; i++) {
    for (const [w, work] of works.entries()) {
      const t0 = performance.now();
      results[w]!.result = await work();
      if (i >= warmups) results[w]!.ms.push(performance.now() - t0);
    }
  }
  for (const r of results) r.ms.sort((a, b) => a - b);
  return results;
}

function short(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}

async function main(): Promise<number> {
  const started = Date.now();
  const info = await serverInfo(settings.serverUrl);
  const cpus = os.cpus();
  log('Failure Desk insights benchmark (informational; not a test)');
  log(`machine: ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB RAM; node ${process.version}`);
  log(`MariaDB/MySQL ${info.version} at ${new URL(settings.serverUrl).host} (innodb_flush_log_at_trx_commit=${info.flushLogAtTrxCommit}, buffer pool ${info.bufferPoolMiB.toFixed(0)} MiB)`);
  log(`seed: ${settings.failures} failures, ${settings.services} services, ${settings.groups} groups, ${settings.days} days, seed ${settings.seed}`);
  log();

  // ---- 1. A fresh database, migrated by the app; services through GraphQL ------------------------
  database = benchDatabaseName('insights');
  await createDatabase(settings.serverUrl, database);
  const uri = databaseUri(settings.serverUrl, database);
  const base = loadConfig({ NODE_ENV: 'test', ADMIN_TOKEN, LOG_LEVEL: 'silent', RETENTION_DAYS: '0' });
  const app = await createApp({ ...base, database: { type: 'mysql', url: uri } }, { logger: pino({ level: 'silent' }) });
  runningApp = app;
  const port = await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}/graphql`;
  log(`app: database ${database} (migrated by createApp), listening on 127.0.0.1:${port}; per-group rollup buckets kept between queries (INSIGHTS_CACHE_ROWS default ${base.insightsCacheRows})`);
  // The same service with nothing kept between queries: what a query costs when every bucket is read.
  const uncached = await createApp({ ...base, insightsCacheRows: 0, database: { type: 'mysql', url: uri } }, { logger: pino({ level: 'silent' }) });
  closers.push(() => uncached.stop());
  const uncachedUrl = `http://127.0.0.1:${await uncached.listen(0, '127.0.0.1')}/graphql`;
  log(`second app on the same database with INSIGHTS_CACHE_ROWS=0 (nothing kept), for the "no cache" column`);
  const run = randomBytes(2).toString('hex');
  const services: SeedService[] = [];
  for (let i = 0; i < settings.services; i++) {
    const name = `svc-${run}-${String(i).padStart(2, '0')}`;
    const data = await graphql<{ createService: { service: { id: string } } }>(
      url,
      'mutation($input: CreateServiceInput!) { createService(input: $input) { service { id } token } }',
      { input: { name, team: `team-${i % 7}`, criticality: 1 + (i % 5) },
    });
    services.push({ id: data.createService.service.id, name });
  }
  log(`services: ${services.length} created with createService`);

  // ---- 2. Seed ---------------------------------------------------------------------------------
  const end = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
  const plan = planSeed(services, settings.groups, end, settings.days, settings.seed);
  const tGen = performance.now();
  const data = generateFailures(plan, settings.failures, settings.seed);
  log(`generated ${data.n} failures in ${((performance.now() - tGen) / 1000).toFixed(1)} s (time-ordered; Zipf over groups, diurnal, bursts, ${plan.clusters.length} clusters of co-bursting groups)`);
  const conn = await createConnection({ uri, timezone: 'Z', charset: 'utf8mb4', dateStrings: false });
  closers.push(() => conn.end());
  const query: Query = async <R>(sql: string, params?: unknown[]) => (await conn.query(sql, params))[0] as R;
  log('bulk load (multi-row INSERTs through mysql2, 1000–2000 rows a statement, 50 statements a transaction, rollup rows computed by the loader):');
  const loaded = await loadSeed(conn, data, log);
  const totalRows = loaded.failures + loaded.groups + loaded.minuteRows + loaded.attributeRows + loaded.incidents;
  log(
    `  total ${(loaded.loadMs / 1000).toFixed(1)} s for ${totalRows} rows → ${Math.round(totalRows / (loaded.loadMs / 1000))} rows/s ` +
      `(${Math.round(loaded.failures / (loaded.loadMs / 1000))} failures/s including their rollups and groups)`,
  );
  const problems = await verifySeed(query, data);
  log(problems.length ? `seed verification FAILED:\n  ${problems.join('\n  ')}` : 'seed verification: rollup and tier sums = COUNT(*) over failures (all rows, each counter, every tier, largest group, one hour, one day, one attribute value) ok');
  if (problems.length) return 1;
  await query('ANALYZE TABLE failures, failure_groups, failure_minute_stats, failure_stats_tiers, failure_attribute_tiers, incidents');
  const sizes = await query<Array<{ t: string; rows: number; mb: number }>>(
    'SELECT table_name AS t, table_rows AS `rows`, ROUND((data_length + index_length) / 1048576) AS mb FROM information_schema.tables WHERE table_schema = ? ORDER BY mb DESC LIMIT 10',
    [database],
  );
  log(`table sizes: ${sizes.map((s) => `${s.t} ${s.mb} MiB`).join(', ')}`);
  log();

  // ---- 3. Queries --------------------------------------------------------------------------------
  log(`timing: each GraphQL query over HTTP (fetch, admin token) ${settings.runs}× after 2 warm-ups, the two apps in turn; each naive SQL over failures (mysql2) ${settings.naiveRuns}× after 1 warm-up`);
  // What any query costs here before it touches a table: fetch, HTTP, auth, GraphQL parse and validation.
  const floor = await timed(Math.max(settings.runs, 50), 5, () => graphql(url, '{ __typename }', {}));
  log(`floor: { __typename } through the same client p50 ${fmtMs(percentile(floor.ms, 50))} ms, p99 ${fmtMs(percentile(floor.ms, 99))} ms (no query can be faster end to end)`);
  const table: string[][] = [['query', 'p50 ms', 'p99 ms', 'no cache p50 ms', 'naive p50 ms', 'speed-up', 'no cache speed-up', 'equal?', 'result']];
  const misses: BenchQuery[] = [];
  let allEqual = true;
  for (const q of benchQueries(data).filter((b) => !settings.only || settings.only.test(b.name))) {
    // The two apps take turns, so both columns see the same state of the server: the naive query
    // before them scans the failures table through a small buffer pool and evicts rollup pages.
    const [fast, plain] = await timedInTurns(settings.runs, 2, [() => graphql(url, q.gql, q.variables), () => graphql(uncachedUrl, q.gql, q.variables)]);
    const slow = await timed(settings.naiveRuns, 1, () => q.naive(query));
    const p50 = percentile(fast.ms, 50);
    const p99 = percentile(fast.ms, 99);
    const naiveP50 = percentile(slow.ms, 50);
    const answer = q.pick(fast.result as Record<string, unknown>);
    const equal = sameAnswer(answer, slow.result) && sameAnswer(q.pick(plain.result as Record<string, unknown>), slow.result);
    allEqual &&= equal;
    const speedup = naiveP50 / p50;
    const pass = equal && p50 < TARGET_P50_MS && (q.noSpeedupTarget || speedup >= TARGET_SPEEDUP);
    if (!pass) misses.push(q);
    const plainP50 = percentile(plain.ms, 50);
    table.push([
      q.name,
      fmtMs(p50),
      fmtMs(p99),
      fmtMs(plainP50),
      fmtMs(naiveP50),
      `${speedup.toFixed(1)}×${q.noSpeedupTarget ? ' (n/a)' : ''}`,
      `${(naiveP50 / plainP50).toFixed(1)}×`,
      equal ? 'yes' : 'NO',
      pass ? 'PASS' : 'MISS',
    ]);
    const size = Array.isArray(answer) ? `${answer.length} items` : 'object';
    log(`  ${q.name}: p50 ${fmtMs(p50)} ms (no cache ${fmtMs(plainP50)} ms), naive ${fmtMs(naiveP50)} ms, answer ${size}${equal ? '' : ' — DIFFERENT'}`);
    if (!equal) {
      log(`    app:   ${short(answer)}`);
      log(`    naive: ${short(slow.result)}`);
    }
  }
  log();
  log(renderTable(table));
  log(`targets: p50 < ${TARGET_P50_MS} ms and ≥ ${TARGET_SPEEDUP}× the naive query (incidentMetrics reads the incidents table, no rollup: the speed-up target does not apply), same answer.`);
  log('p50/p99: nearest rank over the measured runs, client-side (HTTP + GraphQL + SQL). PASS/MISS is informational.');
  log('no cache: the same query on a second app with INSIGHTS_CACHE_ROWS=0, which reads every rollup bucket each time (a first query, or one after');
  log('  late reports changed old buckets); the first column is the service as deployed, where repeated queries read only the buckets that changed.');

  for (const q of misses) {
    if (!q.explain) continue;
    log();
    log(`EXPLAIN (${q.name}):`);
    for (const e of q.explain) {
      if (e.params.includes('?')) continue;
      const rows = await query<Array<Record<string, unknown>>>(`EXPLAIN ${e.sql}`, e.params);
      for (const r of rows) log(`  ${r.table}: type=${r.type} key=${r.key} rows=${r.rows} extra=${r.Extra}`);
    }
  }
  log();
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s${allEqual ? '' : ' (some answers differ: see above)'}`);
  return 0;
}

runBenchmark(main, cleanUp);
