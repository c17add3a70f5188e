/**
 * Escalation benchmark: `npx tsx scripts/bench-escalation.ts` (npm run bench:escalation).
 *
 * 1,000 failure groups cross their thresholds at once: one CRITICAL failure in each of 1,000
 * distinct groups (forced with `fingerprint`), reported through `reportFailures` as fast as the
 * service takes them, under policies that page PagerDuty at once (minSeverity CRITICAL,
 * threshold 1, no group wait). The real service (HTTP + GraphQL + outbox + evaluator + pacer +
 * the real PagerDuty adapter) pages the strict fake PagerDuty of the e2e tests. Printed:
 *  - the time from the triggering report's commit to the fake's receipt of its page (p50/p99/max),
 *    from the failure's `receivedAt` (stamped just before its write transaction) and from the
 *    reportFailures response (just after the commit), split into "until the incident opened" and
 *    "until the page arrived";
 *  - sends per second, with what the pacing (PROVIDER_SENDS_PER_MINUTE per routing key, a token
 *    bucket: a burst of that many, then that many a minute) allows in theory, and the most sends
 *    per routing key in any 60 s window;
 *  - duplicates at the provider (trigger events per incident beyond the first, alerts that
 *    absorbed more than one trigger, groups with more than one incident): must be 0;
 *  - pages lost (groups without an incident, incidents without a DELIVERED trigger).
 *
 * Not a test: it exits 0 whatever the figures are (1 only when something errors).
 *
 * PagerDuty allows 120 events a minute per routing key, and the service paces itself to that by
 * default; 1,000 pages through one key would take over 7 minutes. So the groups are spread over
 * several services, each with its own policy and routing key (default 20 × 50: every key's pages
 * fit in its burst and the pacing does not bind; BENCH_SERVICES=4 gives 250 a key, which it does).
 *
 * Environment (all optional):
 *   BENCH_DATABASE_URL      MariaDB/MySQL server (e.g. mysql://root@127.0.0.1:3306); a fresh
 *                           fd_bench_* database is created there and dropped at the end.
 *                           Unset: SQLite in a temp directory, removed at the end.
 *   BENCH_GROUPS            groups crossing their threshold (default 1000)
 *   BENCH_SERVICES          services = policies = routing keys they are spread over (default 20)
 *   BENCH_SENDS_PER_MINUTE  PROVIDER_SENDS_PER_MINUTE given to the service (default 120, its default)
 *   BENCH_TIMEOUT_S         longest wait for the pages (default: what the pacing needs + 120 s)
 *   BENCH_SETTLE_MS         wait after the last page, for late duplicates (default 6000: more than
 *                           one escalation sweep, every 5 s by default)
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { type App, createApp } from '../src/app';
import { type DatabaseConfig, loadConfig } from '../src/config';
import { FakePagerDuty, type PagerDutyRequest } from '../test/fakes/fake-pagerduty';
import { bucketShortfall, distribution, fmtSeconds, maxInWindow, pacingTheory } from './bench/escalation-analysis';
import { benchDatabaseName, createDatabase, databaseUri, dropDatabase, serverInfo } from './bench/mysql';
import { fmtInt, fmtMs, renderTable } from './bench/stats';

const ADMIN_TOKEN = `bench-admin-${randomBytes(16).toString('hex')}`;
const RUN = randomBytes(3).toString('hex');
const REPORT_BATCH_LIMIT = 1_000; // REPORT_LIMITS.batchSize
/** Receipt times trail the pacer's decision by a variable few ms (building the alert, HTTP): forgiven this much. */
const PACING_JITTER_MS = 250;

function intEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min} (got "${raw}")`);
  return value;
}

const settings = {
  serverUrl: process.env.BENCH_DATABASE_URL || undefined,
  groups: intEnv('BENCH_GROUPS', 1_000),
  services: intEnv('BENCH_SERVICES', 20),
  sendsPerMinute: intEnv('BENCH_SENDS_PER_MINUTE', 120),
  timeoutS: process.env.BENCH_TIMEOUT_S ? intEnv('BENCH_TIMEOUT_S', 0) : undefined,
  settleMs: intEnv('BENCH_SETTLE_MS', 6_000, 0),
};
if (settings.services > settings.groups) throw new Error('BENCH_SERVICES cannot exceed BENCH_GROUPS');

const log = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- environment and clean-up

let app: App | undefined;
let fake: FakePagerDuty | undefined;
let dropDb: (() => Promise<void>) | undefined;
let cleanup: Promise<void> | undefined;

function cleanUp(): Promise<void> {
  cleanup ??= (async () => {
    if (app) await app.stop().catch((error: unknown) => log(`! stopping the app: ${(error as Error).message}`));
    if (fake) await fake.close().catch((error: unknown) => log(`! stopping the fake PagerDuty: ${(error as Error).message}`));
    if (dropDb) await dropDb().catch((error: unknown) => log(`! removing the benchmark database: ${(error as Error).message}`));
  })();
  return cleanup;
}

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.once(signal, () => {
    log(`\n${signal}: cleaning up…`);
    void cleanUp().finally(() => process.exit(code));
  });
}

async function database(): Promise<{ config: DatabaseConfig; label: string }> {
  if (!settings.serverUrl) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-bench-escalation-'));
    dropDb = async () => fs.rmSync(dir, { recursive: true, force: true });
    return { config: { type: 'sqlite', path: path.join(dir, 'bench.sqlite') }, label: `SQLite (${path.join(dir, 'bench.sqlite')}, removed at the end)` };
  }
  const info = await serverInfo(settings.serverUrl);
  const name = benchDatabaseName('esc');
  await createDatabase(settings.serverUrl, name);
  dropDb = () => dropDatabase(settings.serverUrl!, name);
  return {
    config: { type: 'mysql', url: databaseUri(settings.serverUrl, name) },
    label: `MySQL/MariaDB ${info.version} (database ${name}, dropped at the end; innodb_flush_log_at_trx_commit=${info.flushLogAtTrxCommit})`,
  };
}

/** Warnings and errors the service logs during the run, counted by message (the first example kept). */
function countingLogger() {
  const counts = new Map<string, { n: number; example: string }>();
  const stream = {
    write(line: string) {
      let key = line.slice(0, 120);
      let example = line;
      try {
        const entry = JSON.parse(line) as { level: number; msg?: string; err?: unknown; error?: unknown };
        key = `${entry.level >= 50 ? 'error' : 'warn'}: ${entry.msg ?? '(no message)'}`;
        example = JSON.stringify(entry.err ?? entry.error ?? entry).slice(0, 300);
      } catch {
        // not JSON: keep the raw line
      }
      const seen = counts.get(key);
      if (seen) seen.n += 1;
      else counts.set(key, { n: 1, example });
    },
  };
  return { logger: pino({ level: 'warn' }, stream), counts };
}

// ---------------------------------------------------------------- GraphQL

let url = '';

async function graphql<T>(query: string, variables: Record<string, unknown> = {}, token = ADMIN_TOKEN): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: { data?: T; errors?: unknown[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`GraphQL: non-JSON answer (HTTP ${response.status}): ${text.slice(0, 200)}`);
  }
  if (!body.data || body.errors?.length) throw new Error(`GraphQL error (HTTP ${response.status}): ${JSON.stringify(body.errors)}`);
  return body.data;
}

const CREATE_SERVICE = 'mutation($input: CreateServiceInput!) { createService(input: $input) { service { id } token } }';
const SET_POLICY = 'mutation($input: EscalationPolicyInput!) { setEscalationPolicy(input: $input) { id } }';
const REPORT_FAILURES = 'mutation($input: [FailureReportInput!]!) { reportFailures(input: $input) { accepted duplicates failures { id receivedAt group { id } } } }';
const INCIDENTS = `query($after: String) { incidents(first: 100, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { node { id externalKey status triggeredAt group { id } service { name } deliveries { action status httpStatus } } }
} }`;

interface BenchService {
  index: number;
  name: string;
  token: string;
  routingKey: string;
  groups: number;
}

interface IncidentRow {
  id: string;
  externalKey: string;
  status: string;
  triggeredAt: string;
  group: { id: string };
  service: { name: string };
  deliveries: Array<{ action: string; status: string; httpStatus: number | null }>;
}

/** A 32-character alphanumeric routing key per service, as PagerDuty's are. */
function routingKeyFor(label: string): string {
  const key = `B${RUN}${label}`.replace(/[^a-zA-Z0-9]/g, '');
  return key.padEnd(32, 'K').slice(0, 32);
}

async function createBenchService(index: number, label: string, groups: number): Promise<BenchService> {
  const name = `bench-esc-${RUN}-${label}`;
  const created = await graphql<{ createService: { token: string } }>(CREATE_SERVICE, { input: { name, team: 'bench', criticality: 5, retryWebhookUrl: null } });
  const routingKey = routingKeyFor(label);
  await graphql(SET_POLICY, {
    input: { service: name, provider: 'PAGERDUTY', routingKey, minSeverity: 'CRITICAL', thresholdCount: 1, thresholdWindowSeconds: 300, groupWaitSeconds: 0 },
  });
  return { index, name, token: created.createService.token, routingKey, groups };
}

function reportFor(service: BenchService, group: number): Record<string, unknown> {
  const key = `${service.name}-g${group}`;
  return {
    service: service.name,
    taskType: 'bench-escalation',
    taskId: `task-${key}`,
    pattern: 'MESSAGE_QUEUE',
    source: 'bench.escalation',
    attempt: 1,
    errorType: 'BenchThresholdCrossed',
    errorMessage: `group ${group} of ${service.name} crossed its threshold`,
    severity: 'CRITICAL',
    fingerprint: key,
    attributes: { host: `worker-${group % 8}` },
  };
}

async function allIncidents(): Promise<IncidentRow[]> {
  const rows: IncidentRow[] = [];
  let after: string | null = null;
  for (;;) {
    const page: { incidents: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: Array<{ node: IncidentRow }> } } = await graphql(INCIDENTS, { after });
    rows.push(...page.incidents.edges.map((e) => e.node));
    if (!page.incidents.pageInfo.hasNextPage) return rows;
    after = page.incidents.pageInfo.endCursor;
  }
}

// ---------------------------------------------------------------- the run

function triggersFor(keys: Set<string>): PagerDutyRequest[] {
  return fake!.received('trigger').filter((r) => keys.has(String((r.body as Record<string, unknown>).routing_key)));
}

function dedupKeyOf(request: PagerDutyRequest): string {
  return String((request.body as Record<string, unknown>).dedup_key);
}

function routingKeyOf(request: PagerDutyRequest): string {
  return String((request.body as Record<string, unknown>).routing_key);
}

function acceptedPages(keys: Set<string>): number {
  return new Set(triggersFor(keys).filter((r) => r.answer?.status === 202).map(dedupKeyOf)).size;
}

async function outboxSummary(): Promise<string> {
  const rows: Array<{ kind: string; status: string; n: number | string }> = await app!.dataSource.query('SELECT kind, status, COUNT(*) AS n FROM outbox GROUP BY kind, status ORDER BY kind, status');
  return rows.map((r) => `${r.kind} ${r.status}: ${r.n}`).join(', ') || 'empty';
}

async function pendingOutboxRows(): Promise<number> {
  const rows: Array<{ n: number | string }> = await app!.dataSource.query("SELECT COUNT(*) AS n FROM outbox WHERE status = 'PENDING'");
  return Number(rows[0]?.n ?? 0);
}

function outboxPolls(polls: Array<{ start: number; ms: number; rows: number }>, at: (t: number) => string): string {
  if (polls.length === 0) return 'none';
  const longest = polls.reduce((a, b) => (b.ms > a.ms ? b : a));
  const total = polls.reduce((n, p) => n + p.rows, 0);
  return `${fmtInt(polls.length)} (${fmtInt(total)} rows); longest ${fmtSeconds(longest.ms)} for ${longest.rows} rows, ${at(longest.start)} … ${at(longest.start + longest.ms)}`;
}

async function main(): Promise<void> {
  const db = await database();
  const perService = Array.from({ length: settings.services }, (_, i) => Math.floor(settings.groups / settings.services) + (i < settings.groups % settings.services ? 1 : 0));
  const labels = perService.map((_, i) => `s${String(i).padStart(3, '0')}`);
  const routingKeys = [...labels, 'warmup'].map(routingKeyFor);
  if (new Set(routingKeys).size !== routingKeys.length) throw new Error('routing keys collide');

  fake = new FakePagerDuty({ routingKeys });
  await fake.start();
  const { logger, counts } = countingLogger();
  const config = {
    ...loadConfig({
      NODE_ENV: 'test',
      ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
      CREDENTIALS_KEY: randomBytes(32).toString('hex'),
      PAGERDUTY_EVENTS_URL: fake.eventsUrl,
      OUTBOX_POLL_INTERVAL_MS: '50',
      PROVIDER_SENDS_PER_MINUTE: String(settings.sendsPerMinute),
      PORT: '0',
      HOST: '127.0.0.1',
    }),
    database: db.config,
  };
  app = await createApp(config, { logger });
  // Observation only: how long each outbox poll (claim a batch, deliver it all, mark it done) takes.
  const polls: Array<{ start: number; ms: number; rows: number }> = [];
  const outboxWorker = app.outbox;
  const runOnce = outboxWorker.runOnce.bind(outboxWorker);
  outboxWorker.runOnce = async () => {
    const start = Date.now();
    const rows = await runOnce();
    if (rows > 0) polls.push({ start, ms: Date.now() - start, rows });
    return rows;
  };
  const port = await app.listen(0, '127.0.0.1');
  url = `http://127.0.0.1:${port}/graphql`;

  const maxPerKey = Math.max(...perService);
  const theory = pacingTheory(maxPerKey, settings.sendsPerMinute);
  const timeoutMs = (settings.timeoutS ?? Math.ceil(theory.minSeconds) + 120) * 1000;
  const [load1] = os.loadavg();
  log('Escalation benchmark: groups crossing their thresholds at once → fake PagerDuty');
  log(`  database         ${db.label}`);
  log(`  groups           ${fmtInt(settings.groups)} (one CRITICAL failure each, distinct fingerprints), over ${settings.services} services,`);
  log(`                   each with its own policy (PAGERDUTY, minSeverity CRITICAL, threshold 1, group wait 0) and routing key: ${Math.min(...perService)}–${maxPerKey} pages a key`);
  log(`  pacing           PROVIDER_SENDS_PER_MINUTE=${settings.sendsPerMinute} per routing key (token bucket: burst ${theory.burst}, then ${theory.ratePerSecond.toFixed(2)}/s)`);
  log(`  service config   OUTBOX_POLL_INTERVAL_MS=50, outbox batch 20, ESCALATION_EVALUATE_COALESCE_MS=${config.escalation.evaluateCoalesceMs}, sweep every ${config.escalation.sweepIntervalMs} ms`);
  log(`  machine          ${os.cpus().length} cores, load average ${load1!.toFixed(2)} (client, service and fake share one Node process)`);
  log();

  // Services, policies, and one warm-up page through its own key (not measured).
  const services: BenchService[] = [];
  for (let i = 0; i < settings.services; i++) services.push(await createBenchService(i, labels[i]!, perService[i]!));
  const warmup = await createBenchService(-1, 'warmup', 1);
  const warmupKeys = new Set([warmup.routingKey]);
  await graphql(REPORT_FAILURES, { input: [reportFor(warmup, 0)] }, warmup.token);
  const warmupDeadline = Date.now() + 30_000;
  while (acceptedPages(warmupKeys) < 1) {
    if (Date.now() > warmupDeadline) throw new Error(`the warm-up page never reached the fake PagerDuty (outbox: ${await outboxSummary()})`);
    await sleep(50);
  }
  log(`warm-up page delivered; reporting ${fmtInt(settings.groups)} CRITICAL failures in ${fmtInt(settings.groups)} groups…`);

  // The burst: every service's batch at once.
  const benchKeys = new Set(services.map((s) => s.routingKey));
  const benchNames = new Set(services.map((s) => s.name));
  const batches = services.flatMap((service) => {
    const reports = Array.from({ length: service.groups }, (_, g) => reportFor(service, g));
    const chunks: Array<{ service: BenchService; reports: Array<Record<string, unknown>> }> = [];
    for (let i = 0; i < reports.length; i += REPORT_BATCH_LIMIT) chunks.push({ service, reports: reports.slice(i, i + REPORT_BATCH_LIMIT) });
    return chunks;
  });
  interface Reported {
    failureId: string;
    groupId: string;
    receivedAt: number;
    respondedAt: number;
    service: BenchService;
  }
  const started = Date.now();
  const reported = (
    await Promise.all(
      batches.map(async ({ service, reports }) => {
        const data = await graphql<{ reportFailures: { accepted: number; duplicates: number; failures: Array<{ id: string; receivedAt: string; group: { id: string } }> } }>(
          REPORT_FAILURES,
          { input: reports },
          service.token,
        );
        const respondedAt = Date.now();
        if (data.reportFailures.accepted !== reports.length) throw new Error(`${service.name}: ${data.reportFailures.accepted} of ${reports.length} reports accepted`);
        return data.reportFailures.failures.map((f): Reported => ({ failureId: f.id, groupId: f.group.id, receivedAt: Date.parse(f.receivedAt), respondedAt, service }));
      }),
    )
  ).flat();
  const reportedAll = Date.now();
  const byGroup = new Map(reported.map((r) => [r.groupId, r]));
  if (byGroup.size !== settings.groups) throw new Error(`expected ${settings.groups} distinct groups, got ${byGroup.size}`);
  log(`reported in ${fmtSeconds(reportedAll - started)} (${batches.length} reportFailures batches in parallel); waiting for the pages (timeout ${fmtSeconds(timeoutMs)})…`);

  // Wait for one accepted page per group at the fake, or the timeout, or a stall with nothing left to deliver.
  const deadline = started + timeoutMs;
  let lastCount = -1;
  let lastProgressAt = Date.now();
  let lastPrint = Date.now();
  let stalled = false;
  for (;;) {
    const count = acceptedPages(benchKeys);
    if (count >= settings.groups) break;
    const now = Date.now();
    if (count !== lastCount) {
      lastCount = count;
      lastProgressAt = now;
    }
    if (now > deadline) break;
    if (now - lastPrint >= 5_000) {
      lastPrint = now;
      log(`  … ${fmtInt(count)}/${fmtInt(settings.groups)} pages at the provider after ${fmtSeconds(now - started)}`);
    }
    if (now - lastProgressAt > 15_000 && (await pendingOutboxRows()) === 0) {
      stalled = true;
      break;
    }
    await sleep(100);
  }
  const wallUntilPages = Date.now() - started;

  // The service records each delivery after the provider's answer: wait (briefly) for every incident to show it.
  let incidents: IncidentRow[] = [];
  const recordDeadline = Date.now() + 15_000;
  for (;;) {
    incidents = (await allIncidents()).filter((i) => benchNames.has(i.service.name));
    const delivered = incidents.filter((i) => i.deliveries.some((d) => d.action === 'TRIGGER' && d.status === 'DELIVERED')).length;
    if ((incidents.length >= settings.groups && delivered === incidents.length) || Date.now() > recordDeadline) break;
    await sleep(500);
  }
  if (settings.settleMs > 0) {
    log(`pages in; settling ${fmtSeconds(settings.settleMs)} to catch late duplicates…`);
    await sleep(settings.settleMs);
    incidents = (await allIncidents()).filter((i) => benchNames.has(i.service.name));
  }
  const outbox = await outboxSummary();
  log();

  // ------------------------------------------------------------ analysis
  const triggers = triggersFor(benchKeys);
  const accepted = triggers.filter((r) => r.answer?.status === 202);
  const refused = triggers.filter((r) => r.answer?.status !== 202);
  const incidentByKey = new Map(incidents.map((i) => [i.externalKey, i]));
  const incidentsByGroup = new Map<string, IncidentRow[]>();
  for (const incident of incidents) incidentsByGroup.set(incident.group.id, [...(incidentsByGroup.get(incident.group.id) ?? []), incident]);

  const triggersByKey = new Map<string, PagerDutyRequest[]>();
  for (const request of accepted) triggersByKey.set(dedupKeyOf(request), [...(triggersByKey.get(dedupKeyOf(request)) ?? []), request]);
  const extraTriggers = [...triggersByKey.values()].reduce((n, list) => n + list.length - 1, 0);
  const unknownKeys = [...triggersByKey.keys()].filter((key) => !incidentByKey.has(key)).length;
  const alerts = fake.alerts().filter((a) => benchKeys.has(a.routingKey));
  const multiAlerts = alerts.filter((a) => a.triggerCount > 1).length;
  const groupsWithSeveral = [...incidentsByGroup.values()].filter((list) => list.length > 1).length;
  const duplicates = extraTriggers + groupsWithSeveral;

  // Per page: the first accepted trigger of each incident, traced back to its failure.
  interface Page {
    latencyFromReceived: number;
    latencyFromResponse: number;
    untilOpened: number;
    openedToReceipt: number;
    receipt: number;
    opened: number;
    routingKey: string;
  }
  const pages: Page[] = [];
  for (const [dedupKey, list] of triggersByKey) {
    const incident = incidentByKey.get(dedupKey);
    const failure = incident && byGroup.get(incident.group.id);
    if (!incident || !failure) continue;
    const receipt = list[0]!.receivedAt.getTime();
    const opened = Date.parse(incident.triggeredAt);
    pages.push({
      latencyFromReceived: receipt - failure.receivedAt,
      latencyFromResponse: receipt - failure.respondedAt,
      untilOpened: opened - failure.receivedAt,
      openedToReceipt: receipt - opened,
      receipt,
      opened,
      routingKey: routingKeyOf(list[0]!),
    });
  }
  const groupsWithoutIncident = [...byGroup.keys()].filter((g) => !incidentsByGroup.has(g)).length;
  const notDelivered = incidents.filter((i) => !i.deliveries.some((d) => d.action === 'TRIGGER' && d.status === 'DELIVERED'));
  const deliveredIncidents = incidents.length - notDelivered.length;
  const attemptsByStatus = new Map<string, number>();
  for (const i of incidents) for (const d of i.deliveries) attemptsByStatus.set(`${d.action} ${d.status}`, (attemptsByStatus.get(`${d.action} ${d.status}`) ?? 0) + 1);

  // Latency.
  const rows = (label: string, values: number[]) => {
    const d = distribution(values);
    return [label, fmtInt(d.count), fmtMs(d.p50), fmtMs(d.p99), fmtMs(d.max), fmtMs(d.min)];
  };
  log('Latency per page, ms (receipt at the fake PagerDuty minus …)');
  log(
    renderTable([
      ['measure', 'pages', 'p50', 'p99', 'max', 'min'],
      rows('report commit → page received (from receivedAt, stamped just before the write transaction)', pages.map((p) => p.latencyFromReceived)),
      rows('report commit → page received (from the reportFailures response, just after the commit)', pages.map((p) => p.latencyFromResponse)),
      rows('  of which: receivedAt → incident opened (evaluation)', pages.map((p) => p.untilOpened)),
      rows('  of which: incident opened → page received (outbox, pacing, HTTP)', pages.map((p) => p.openedToReceipt)),
    ]),
  );
  log();

  // Throughput and pacing.
  const receipts = pages.map((p) => p.receipt).sort((a, b) => a - b);
  const firstReceipt = receipts[0] ?? Number.NaN;
  const lastReceipt = receipts.at(-1) ?? Number.NaN;
  const firstReceived = Math.min(...reported.map((r) => r.receivedAt));
  const sendSpan = lastReceipt - firstReceipt;
  const totalSpan = lastReceipt - firstReceived;
  const byRoutingKey = new Map<string, number[]>();
  for (const p of pages) byRoutingKey.set(p.routingKey, [...(byRoutingKey.get(p.routingKey) ?? []), p.receipt]);
  let maxWindow = 0;
  let maxSecond = 0;
  let worstShortfall = 0;
  const allowance = bucketShortfall([], settings.sendsPerMinute, settings.sendsPerMinute, PACING_JITTER_MS).allowance;
  for (const times of byRoutingKey.values()) {
    maxWindow = Math.max(maxWindow, maxInWindow(times, 60_000));
    maxSecond = Math.max(maxSecond, maxInWindow(times, 1_000));
    worstShortfall = Math.max(worstShortfall, bucketShortfall(times, settings.sendsPerMinute, settings.sendsPerMinute, PACING_JITTER_MS).shortfall);
  }
  const openedTimes = pages.map((p) => p.opened);
  const lastOpened = Math.max(...openedTimes);
  const sentBeforeLastOpened = receipts.filter((t) => t < lastOpened).length;
  const at = (t: number) => `+${fmtSeconds(t - firstReceived)}`;
  const pacingBinds = maxPerKey > theory.burst;
  const theoreticalFor = pacingBinds
    ? `${fmtInt(settings.services * theory.burst)} at once, then ${(settings.services * theory.ratePerSecond).toFixed(1)} sends/s: all ${fmtInt(settings.groups)} pages no sooner than ${fmtSeconds(theory.minSeconds * 1000)}`
    : `all ${fmtInt(settings.groups)} at once (${fmtInt(settings.services * theory.burst)} burst tokens), then ${(settings.services * theory.ratePerSecond).toFixed(1)} sends/s`;
  log('Throughput and pacing');
  log(
    renderTable([
      ['figure', 'value'],
      ['reports written (all batches, start → last response)', `${fmtSeconds(reportedAll - started)} for ${fmtInt(reported.length)} failures`],
      ['timeline (from the first report\'s receivedAt)', `incidents opened ${at(Math.min(...openedTimes))} … ${at(lastOpened)}; pages received ${at(firstReceipt)} … ${at(lastReceipt)}`],
      ['pages received before the last incident opened', `${fmtInt(sentBeforeLastOpened)} of ${fmtInt(pages.length)}`],
      ['outbox polls that claimed rows (during the burst)', outboxPolls(polls.filter((p) => p.start >= started), at)],
      ['first → last page at the provider', `${fmtSeconds(sendSpan)}: ${(pages.length / (sendSpan / 1000)).toFixed(1)} sends/s`],
      ['first report → last page (whole burst)', `${fmtSeconds(totalSpan)}: ${(pages.length / (totalSpan / 1000)).toFixed(1)} pages/s`],
      ['pacing allows per routing key', `a burst of ${theory.burst}, then ${theory.ratePerSecond.toFixed(2)}/s; at most ${theory.maxIn60s} in any 60 s for ${maxPerKey} pages`],
      [`pacing allows for ${settings.services} keys`, theoreticalFor],
      ['most sends per routing key in any 60 s / any 1 s', `${maxWindow} / ${maxSecond} (limit ${settings.sendsPerMinute} a minute)`],
      ['worst token-bucket shortfall (sends)', `${worstShortfall.toFixed(2)} (jitter allowance ${allowance.toFixed(2)} = ${PACING_JITTER_MS} ms × rate)`],
    ]),
  );
  if (!pacingBinds) log(`  (every routing key's ${maxPerKey} pages fit in its burst of ${theory.burst}: the pacing did not bind; BENCH_SERVICES=${Math.max(1, Math.ceil(settings.groups / (theory.burst * 2)))} makes it)`);
  log();

  // Duplicates and losses.
  log('Duplicates and losses');
  log(
    renderTable([
      ['figure', 'value'],
      ['trigger events at the fake (bench keys)', `${fmtInt(triggers.length)} (${fmtInt(accepted.length)} accepted with 202, ${fmtInt(refused.length)} refused${refused.length ? `: ${[...new Set(refused.map((r) => r.answer?.status ?? 'no answer'))].join(', ')}` : ''})`],
      ['distinct dedup keys / alerts at the fake', `${fmtInt(triggersByKey.size)} / ${fmtInt(alerts.length)}`],
      ['triggers per incident beyond the first', fmtInt(extraTriggers)],
      ['alerts with triggerCount > 1', fmtInt(multiAlerts)],
      ['groups with more than one incident', fmtInt(groupsWithSeveral)],
      ['triggers whose dedup key matches no incident', fmtInt(unknownKeys)],
      ['incidents opened / groups', `${fmtInt(incidents.length)} / ${fmtInt(settings.groups)} (${fmtInt(groupsWithoutIncident)} groups without one)`],
      ['incidents with a DELIVERED trigger', `${fmtInt(deliveredIncidents)} (${fmtInt(notDelivered.length)} without)`],
      ['delivery attempts recorded', [...attemptsByStatus].map(([k, n]) => `${k}: ${n}`).join(', ') || 'none'],
      ['outbox at the end', outbox],
      ['waited for the pages', `${fmtSeconds(wallUntilPages)}${stalled ? ' (stopped: no progress and nothing pending)' : wallUntilPages >= timeoutMs ? ' (timed out)' : ''}`],
    ]),
  );
  if (counts.size > 0) {
    log('  service warnings/errors during the run:');
    for (const [key, { n, example }] of counts) log(`    ${n} × ${key}   e.g. ${example}`);
  } else {
    log('  the service logged no warnings or errors');
  }
  log();

  const pass = (ok: boolean) => (ok ? 'PASS' : 'MISS');
  const allDelivered = groupsWithoutIncident === 0 && notDelivered.length === 0 && pages.length === settings.groups;
  log(
    renderTable([
      ['check', 'result', 'measured'],
      ['duplicates at the provider = 0', pass(duplicates === 0 && multiAlerts === 0 && unknownKeys === 0), `${extraTriggers} extra triggers, ${multiAlerts} alerts re-triggered, ${groupsWithSeveral} groups with several incidents`],
      ['pacing respected (the pacer\'s token bucket per routing key)', pass(worstShortfall <= allowance), `worst shortfall ${worstShortfall.toFixed(2)} sends (allowance ${allowance.toFixed(2)})`],
      [`≤ ${settings.sendsPerMinute} sends per routing key in any 60 s`, pass(maxWindow <= settings.sendsPerMinute), `${maxWindow}${pacingBinds ? ` (the bucket itself allows up to ${theory.maxIn60s})` : ''}`],
      ['every page delivered (none lost)', pass(allDelivered), `${pages.length}/${settings.groups} paged, ${deliveredIncidents} recorded DELIVERED`],
    ]),
  );
}

main()
  .then(async () => {
    await cleanUp();
    process.exit(0);
  })
  .catch(async (error: unknown) => {
    log(`\nbenchmark failed: ${(error as Error).stack ?? String(error)}`);
    await cleanUp();
    process.exit(1);
  });
