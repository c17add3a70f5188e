/**
 * Seed data for the insights benchmark: a skewed month of failures (Zipf over groups, a diurnal
 * cycle, bursts, a few groups that fail together, a few new groups, version- and host-specific
 * groups), generated in memory and bulk-loaded with multi-row INSERTs through mysql2, together
 * with the exact rows the app's writers (GroupingService, MinuteStatsWriter, AttributeStatsWriter)
 * would have written had the same failures been ingested one after the other in time order.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Connection } from 'mysql2/promise';
import { SEVERITY_RANK } from '../../src/failures/failure.entity';
import { GroupingService } from '../../src/grouping/grouping.service';
import { MAX_VALUES_PER_ATTRIBUTE } from '../../src/insights/attribute-stats';
import { OTHER_VALUE } from '../../src/insights/suspects';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export const SEVERITIES = ['CRITICAL', 'ERROR', 'WARNING', 'INFO'] as const;
export const PATTERNS = ['MESSAGE_QUEUE', 'EVENT_BUS', 'DB_POLLING', 'OTHER'] as const;
const SOURCES: Record<(typeof PATTERNS)[number], string[]> = {
  MESSAGE_QUEUE: ['orders.fulfilment', 'mail.outbound', 'billing.charges'],
  EVENT_BUS: ['orders.placed', 'users.updated', 'stock.changed'],
  DB_POLLING: ['billing_jobs', 'export_jobs'],
  OTHER: ['cron', 'webhook'],
};
const ERROR_TYPES = ['SmtpConnectionError', 'DeadlockError', 'HttpTimeoutError', 'ValidationError', 'S3UploadError', 'KafkaProducerError', 'TypeError', 'RateLimitExceeded', 'QueryTimeoutError', 'FileNotFoundError'];
const REGIONS = ['eu-west-1', 'eu-central-1', 'us-east-1', 'ap-southeast-2'];
/** Status of a failure → the counters of its minute row (retried failures that failed again are not generated). */
export const STATUSES = ['FAILED', 'RETRYING', 'SUCCEEDED', 'DISCARDED', 'RESOLVED'] as const;
// No RETRYING: the app's retry-timeout sweep would move month-old RETRYING failures back to FAILED (retried stays counted).
const STATUS_WEIGHTS = [0.8, 0, 0.08, 0.06, 0.06];
const HOSTS_PER_SERVICE = 30; // > 20: the per-group cap of the attribute rollup matters for `host`
const VERSIONS_PER_SERVICE = 4;
const VERSION_WEIGHTS = [0.25, 0.35, 0.25, 0.15]; // index 0 is the newest release

/** mulberry32: small seeded generator. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function dbTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

interface Burst {
  start: number;
  duration: number;
}

export interface SeedGroup {
  index: number;
  id: string;
  fingerprint: string;
  service: number;
  pattern: (typeof PATTERNS)[number];
  source: string;
  taskType: string;
  errorType: string;
  severity: number; // index into SEVERITIES
  weight: number;
  versionBiased: boolean;
  hostBiased: number | null;
  bursts: Burst[];
  burstShare: number;
  onlyRecentMs: number | null;
  cluster: number | null;
}

export interface SeedService {
  id: string;
  name: string;
}

export interface SeedPlan {
  start: number;
  end: number;
  services: SeedService[];
  groups: SeedGroup[];
  /** Groups that share bursts (the last one within the final 3 hours), by cluster. */
  clusters: number[][];
  /** The largest group (version-biased, so it has a suspect). */
  largestGroup: number;
  /** A group of a cluster, for correlatedGroups. */
  correlatedTarget: number;
}

export interface SeedData {
  plan: SeedPlan;
  n: number;
  time: Float64Array;
  group: Uint16Array;
  severity: Uint8Array;
  status: Uint8Array;
  host: Uint8Array;
  version: Uint8Array;
}

export function hostName(service: SeedService, host: number): string {
  return `${service.name}-host-${String(host).padStart(2, '0')}`;
}
export function versionName(serviceIndex: number, version: number): string {
  return `3.${serviceIndex}.${VERSIONS_PER_SERVICE - 1 - version}`;
}
export function regionOf(host: number): string {
  return REGIONS[host % REGIONS.length]!;
}

function cumulative(weights: number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  weights.forEach((w, i) => (out[i] = sum += w));
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

function pickCumulative(cum: Float64Array, r: number): number {
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid]! < r) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Groups, services and their traits. */
export function planSeed(services: SeedService[], groupCount: number, end: number, days: number, seed: number): SeedPlan {
  const rnd = random(seed);
  const start = end - days * DAY_MS;
  const grouping = new GroupingService(undefined as never);
  const serviceCum = cumulative(services.map((_, i) => 1 / Math.pow(i + 1, 0.8)));
  // Zipf (s = 1) over a shuffled rank, so the big groups spread over the services.
  const ranks = Array.from({ length: groupCount }, (_, i) => i);
  for (let i = ranks.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [ranks[i], ranks[j]] = [ranks[j]!, ranks[i]!];
  }
  const groups: SeedGroup[] = ranks.map((rank, index) => {
    const fingerprint = createHash('sha256').update(`bench-insights:${seed}:${index}`).digest('hex');
    const pattern = PATTERNS[Math.floor(rnd() * PATTERNS.length)]!;
    const sources = SOURCES[pattern];
    return {
      index,
      id: grouping.groupIdFor(fingerprint),
      fingerprint,
      service: index < services.length ? index : pickCumulative(serviceCum, rnd()),
      pattern,
      source: sources[Math.floor(rnd() * sources.length)]!,
      taskType: `task-${Math.floor(rnd() * 40)}`,
      errorType: ERROR_TYPES[Math.floor(rnd() * ERROR_TYPES.length)]!,
      severity: Math.min(3, Math.floor(rnd() * rnd() * 5)),
      weight: 1 / (rank + 1),
      versionBiased: rnd() < 0.15,
      hostBiased: rnd() < 0.1 ? Math.floor(rnd() * HOSTS_PER_SERVICE) : null,
      bursts: [],
      burstShare: 0,
      onlyRecentMs: null,
      cluster: null,
    };
  });
  const byWeight = [...groups].sort((a, b) => b.weight - a.weight);
  const largest = byWeight[0]!;
  largest.versionBiased = true;
  // Bursty groups: 2–4 bursts of 10–60 minutes anywhere in the month hold 40% of their failures.
  for (const g of groups) {
    if (rnd() >= 0.05) continue;
    const count = 2 + Math.floor(rnd() * 3);
    for (let i = 0; i < count; i++) g.bursts.push({ start: start + rnd() * (end - start - HOUR_MS), duration: (10 + rnd() * 50) * MINUTE_MS });
    g.burstShare = 0.4;
  }
  // Clusters of 4 groups that burst together (lag 0–1 minute), the last burst in the final 3 hours.
  const clusters: number[][] = [];
  const candidates = byWeight.slice(10, 200).filter((g) => g !== largest);
  for (let c = 0; c < 5; c++) {
    const members = candidates.splice(Math.floor(rnd() * (candidates.length - 4)), 4);
    const bursts: Burst[] = Array.from({ length: 5 }, () => ({ start: start + rnd() * (end - start - 6 * HOUR_MS), duration: (20 + rnd() * 30) * MINUTE_MS }));
    bursts.push({ start: end - (30 + c * 25 + rnd() * 20) * MINUTE_MS - 40 * MINUTE_MS, duration: (20 + rnd() * 20) * MINUTE_MS });
    members.forEach((g, k) => {
      g.cluster = c;
      g.burstShare = 0.5;
      g.bursts = bursts.map((b) => ({ start: b.start + (k % 2) * MINUTE_MS, duration: b.duration }));
    });
    clusters.push(members.map((g) => g.index));
  }
  // New groups: 3% of the groups outside the top 50 exist only in the last 48 hours.
  for (const g of byWeight.slice(50)) if (g.cluster === null && rnd() < 0.03) g.onlyRecentMs = 48 * HOUR_MS;
  return { start, end, services, groups, clusters, largestGroup: largest.index, correlatedTarget: clusters[0]![0]! };
}

/** Generates the failures, sorted by time with distinct milliseconds (arrival order = time order). */
export function generateFailures(plan: SeedPlan, n: number, seed: number): SeedData {
  const rnd = random(seed ^ 0x5eed);
  const groupCum = cumulative(plan.groups.map((g) => g.weight));
  const statusCum = cumulative(STATUS_WEIGHTS);
  const versionCum = cumulative(VERSION_WEIGHTS);
  const span = plan.end - plan.start;
  const rawTime = new Float64Array(n);
  const rawGroup = new Uint16Array(n);
  const diurnal = (t: number) => 0.35 + 0.65 * (1 + Math.sin((2 * Math.PI * ((t % DAY_MS) / HOUR_MS - 9)) / 24)) / 2;
  for (let i = 0; i < n; i++) {
    const g = plan.groups[pickCumulative(groupCum, rnd())]!;
    rawGroup[i] = g.index;
    let t: number;
    if (g.bursts.length && rnd() < g.burstShare) {
      const b = g.bursts[Math.floor(rnd() * g.bursts.length)]!;
      t = b.start + b.duration * ((rnd() + rnd()) / 2); // triangular: rises and falls
    } else {
      const from = g.onlyRecentMs ? plan.end - g.onlyRecentMs : plan.start;
      do t = from + rnd() * (plan.end - from);
      while (rnd() > diurnal(t));
    }
    rawTime[i] = Math.floor(t);
  }
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => rawTime[a]! - rawTime[b]! || a - b);
  const time = new Float64Array(n);
  const group = new Uint16Array(n);
  let last = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = Math.max(rawTime[order[i]!]!, last + 1);
    time[i] = last = t;
    group[i] = rawGroup[order[i]!]!;
  }
  if (last >= plan.end) throw new Error('the generated times overflow the range; use fewer failures');
  const severity = new Uint8Array(n);
  const status = new Uint8Array(n);
  const host = new Uint8Array(n);
  const version = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const g = plan.groups[group[i]!]!;
    severity[i] = rnd() < 0.9 ? g.severity : Math.floor(rnd() * 4);
    status[i] = pickCumulative(statusCum, rnd());
    host[i] = g.hostBiased !== null && rnd() < 0.8 ? g.hostBiased : Math.floor(rnd() * HOSTS_PER_SERVICE);
    version[i] = g.versionBiased && rnd() < 0.9 ? 0 : pickCumulative(versionCum, rnd());
  }
  void span;
  return { plan, n, time, group, severity, status, host, version };
}

export type Query = <R = unknown>(sql: string, params?: unknown[]) => Promise<R>;

const FAILURE_COLUMNS = [
  'id', 'service_id', 'group_id', 'idempotency_key', 'task_type', 'task_id', 'pattern', 'source', 'status', 'attempt', 'severity',
  'error_type', 'error_message', 'stack_trace', 'payload', 'attributes', 'occurred_at', 'received_at', 'updated_at',
];

/**
 * Multi-row INSERTs of `count` rows, `chunk` rows a statement, a transaction every `perTx`
 * statements; the next statement is built while the previous one runs.
 */
async function bulkInsert(conn: Connection, table: string, columns: string[], count: number, row: (i: number) => unknown[], chunk = 1000, perTx = 50): Promise<void> {
  const placeholders = `(${columns.map(() => '?').join(', ')})`;
  const head = `INSERT INTO ${table} (${columns.join(', ')}) VALUES `;
  const build = (from: number) => {
    const to = Math.min(count, from + chunk);
    const params: unknown[] = [];
    for (let i = from; i < to; i++) params.push(...row(i));
    return conn.format(head + Array.from({ length: to - from }, () => placeholders).join(', '), params);
  };
  let statements = 0;
  await conn.query('BEGIN');
  let next = count > 0 ? build(0) : null;
  for (let from = 0; from < count; from += chunk) {
    const running = conn.query(next!);
    next = from + chunk < count ? build(from + chunk) : null;
    await running;
    if (++statements % perTx === 0) {
      await conn.query('COMMIT');
      await conn.query('BEGIN');
    }
  }
  await conn.query('COMMIT');
}

const SUMS = 'SUM(reported), SUM(retried), SUM(succeeded), SUM(discarded), SUM(resolved)';
const TIER_INSERT = 'INSERT INTO failure_stats_tiers (scope, span, bucket, subject_id, task_type, pattern, severity, reported, retried, succeeded, discarded, resolved)';

/** failure_stats_tiers from the minute rollup: what the writers would have added up. */
async function loadTiers(conn: Connection): Promise<void> {
  await conn.query(`${TIER_INSERT}
    SELECT 'TASK', 'HOUR', s.minute DIV 60, g.service_id, g.task_type, s.pattern, s.severity, SUM(s.reported), SUM(s.retried), SUM(s.succeeded), SUM(s.discarded), SUM(s.resolved)
    FROM failure_minute_stats s JOIN failure_groups g ON g.id = s.group_id GROUP BY s.minute DIV 60, g.service_id, g.task_type, s.pattern, s.severity`);
  const fromHours = (scope: string, span: string, bucket: string, subject: string, task: string, pattern: string, severity: string) =>
    `${TIER_INSERT} SELECT '${scope}', '${span}', ${bucket}, ${subject}, ${task}, ${pattern}, ${severity}, ${SUMS} FROM failure_stats_tiers
     WHERE scope = 'TASK' AND span = 'HOUR' GROUP BY ${bucket}, ${subject}, ${task}, ${pattern}, ${severity}`;
  await conn.query(fromHours('TASK', 'DAY', 'bucket DIV 24', 'subject_id', 'task_type', 'pattern', 'severity'));
  for (const [span, bucket] of [['HOUR', 'bucket'], ['DAY', 'bucket DIV 24']]) {
    await conn.query(fromHours('TOTAL', span!, bucket!, 'subject_id', "''", "''", "''"));
    await conn.query(fromHours('ALL', span!, bucket!, "''", "''", 'pattern', 'severity'));
  }
  for (const [span, minutes] of [['HOUR', 60], ['QUARTER', 360], ['DAY', 1_440]] as const) {
    await conn.query(`${TIER_INSERT} SELECT 'GROUP', '${span}', minute DIV ${minutes}, group_id, '', pattern, severity, ${SUMS}
      FROM failure_minute_stats GROUP BY minute DIV ${minutes}, group_id, pattern, severity`);
  }
}

/** The other scopes of failure_attribute_tiers from its GROUP_HOUR rows. */
const ATTRIBUTE_TIERS = [
  `INSERT INTO failure_attribute_tiers (scope, subject_id, bucket, attribute, value, count)
   SELECT 'GROUP', subject_id, 0, attribute, value, SUM(count) FROM failure_attribute_tiers WHERE scope = 'GROUP_HOUR' GROUP BY subject_id, attribute, value`,
  `INSERT INTO failure_attribute_tiers (scope, subject_id, bucket, attribute, value, count)
   SELECT 'SERVICE_HOUR', g.service_id, t.bucket, t.attribute, t.value, SUM(t.count) FROM failure_attribute_tiers t JOIN failure_groups g ON g.id = t.subject_id
   WHERE t.scope = 'GROUP_HOUR' GROUP BY g.service_id, t.bucket, t.attribute, t.value`,
  `INSERT INTO failure_attribute_tiers (scope, subject_id, bucket, attribute, value, count)
   SELECT 'SERVICE_DAY', subject_id, bucket DIV 24, attribute, value, SUM(count) FROM failure_attribute_tiers WHERE scope = 'SERVICE_HOUR' GROUP BY subject_id, bucket DIV 24, attribute, value`,
];

export interface LoadResult {
  failures: number;
  groups: number;
  minuteRows: number;
  attributeRows: number;
  incidents: number;
  generateMs: number;
  loadMs: number;
}

/** Loads failures, groups, both rollups and some incidents; returns what was written and how long it took. */
export async function loadSeed(conn: Connection, data: SeedData, log: (line: string) => void): Promise<LoadResult> {
  const { plan, n, time, group, severity, status, host, version } = data;
  const t0 = performance.now();
  const minuteCount = Math.ceil((plan.end - plan.start) / MINUTE_MS) + 1;
  const startMinute = Math.floor(plan.start / MINUTE_MS);

  // ---- Groups (GroupingService.recordFailures): count, open_count, first/last seen, max severity.
  const G = plan.groups.length;
  const gCount = new Int32Array(G);
  const gOpen = new Int32Array(G);
  const gFirst = new Float64Array(G).fill(Infinity);
  const gLast = new Float64Array(G).fill(-Infinity);
  const gMaxSev = new Int8Array(G);
  // ---- Minute rollup (MinuteStatsWriter): one row per group, minute, severity (pattern is the group's).
  const minuteRows = new Map<number, Int32Array>();
  // ---- Attribute rollup (AttributeStatsWriter): the first 20 values per group and attribute, then "(other)".
  const known = new Map<string, Set<string>>();
  const attributeRows = new Map<string, number>();
  const admit = (g: number, attribute: string, value: string) => {
    const key = `${g}\u0000${attribute}`;
    let values = known.get(key);
    if (!values) known.set(key, (values = new Set()));
    if (values.has(value)) return value;
    if (values.size >= MAX_VALUES_PER_ATTRIBUTE) return OTHER_VALUE;
    values.add(value);
    return value;
  };
  for (let i = 0; i < n; i++) {
    const g = group[i]!;
    const sg = plan.groups[g]!;
    const st = STATUSES[status[i]!]!;
    gCount[g]! += 1;
    if (st === 'FAILED' || st === 'RETRYING') gOpen[g]! += 1;
    if (time[i]! < gFirst[g]!) gFirst[g] = time[i]!;
    if (time[i]! > gLast[g]!) gLast[g] = time[i]!;
    gMaxSev[g] = Math.max(gMaxSev[g]!, SEVERITY_RANK[SEVERITIES[severity[i]!]!]);
    const minute = Math.floor(time[i]! / MINUTE_MS);
    const mKey = (g * minuteCount + (minute - startMinute)) * 4 + severity[i]!;
    let counts = minuteRows.get(mKey);
    if (!counts) minuteRows.set(mKey, (counts = new Int32Array(5)));
    counts[0]! += 1; // reported
    if (st === 'RETRYING' || st === 'SUCCEEDED') counts[1]! += 1; // retried
    if (st === 'SUCCEEDED') counts[2]! += 1;
    if (st === 'DISCARDED') counts[3]! += 1;
    if (st === 'RESOLVED') counts[4]! += 1;
    const hour = Math.floor(time[i]! / HOUR_MS);
    const service = plan.services[sg.service]!;
    // Names in order (host, region, version), then source, as the writer does.
    const observed: Array<[string, string]> = [
      ['host', hostName(service, host[i]!)],
      ['region', regionOf(host[i]!)],
      ['version', versionName(sg.service, version[i]!)],
      ['source', sg.source],
    ];
    for (const [attribute, raw] of observed) {
      const value = admit(g, attribute, raw);
      const key = `${g}\u0000${attribute}\u0000${value}\u0000${hour}`;
      attributeRows.set(key, (attributeRows.get(key) ?? 0) + 1);
    }
  }
  const generateMs = performance.now() - t0;
  log(`  rollups computed in memory: ${minuteRows.size} minute rows, ${attributeRows.size} attribute rows (${(generateMs / 1000).toFixed(1)} s)`);

  const started = performance.now();
  await conn.query('SET SESSION foreign_key_checks = 0, unique_checks = 0');

  // Services exist (created through GraphQL). Groups first.
  const groupRows = plan.groups.filter((g) => gCount[g.index]! > 0).sort((a, b) => (a.id < b.id ? -1 : 1));
  await bulkInsert(
    conn,
    'failure_groups',
    ['id', 'service_id', 'fingerprint', 'task_type', 'error_type', 'message_template', 'status', 'regressed', 'count', 'open_count', 'first_seen_at', 'last_seen_at', 'resolved_at', 'max_severity', 'rank_score'],
    groupRows.length,
    (i) => {
      const g = groupRows[i]!;
      const open = gOpen[g.index]!;
      return [
        g.id, plan.services[g.service]!.id, g.fingerprint, g.taskType, g.errorType, `${g.errorType}: failed to process <num> for <uuid> (${g.taskType})`,
        open > 0 ? 'OPEN' : 'RESOLVED', 0, gCount[g.index]!, open, dbTime(gFirst[g.index]!), dbTime(gLast[g.index]!), open > 0 ? null : dbTime(gLast[g.index]!),
        gMaxSev[g.index]!, 0,
      ];
    },
    500,
  );
  const tGroups = performance.now();

  // Failures, in time order with ascending ids (the clustered index grows at its end).
  const runId = randomBytes(2).toString('hex');
  const idOf = (i: number) => {
    const hex = i.toString(16).padStart(12, '0');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${runId.slice(0, 3)}-8000-${hex.padStart(12, '0')}`;
  };
  const attributeJson = (i: number, sg: SeedGroup) =>
    `{"host":"${hostName(plan.services[sg.service]!, host[i]!)}","region":"${regionOf(host[i]!)}","version":"${versionName(sg.service, version[i]!)}"}`;
  let lastReport = performance.now();
  await bulkInsert(
    conn,
    'failures',
    FAILURE_COLUMNS,
    n,
    (i) => {
      const sg = plan.groups[group[i]!]!;
      const t = time[i]!;
      const received = dbTime(t + 500);
      if (i % 100_000 === 0 && i > 0 && performance.now() - lastReport > 5_000) {
        lastReport = performance.now();
        log(`    … ${i} failures (${Math.round(i / ((performance.now() - tGroups) / 1000))} rows/s)`);
      }
      return [
        idOf(i), plan.services[sg.service]!.id, sg.id, `${sg.taskType}:${i}#1`, sg.taskType, `t-${i}`, sg.pattern, sg.source, STATUSES[status[i]!]!, 1, SEVERITIES[severity[i]!]!,
        sg.errorType, `${sg.errorType}: failed to process ${i % 9973} for order ${i.toString(36)} in ${sg.taskType}; the task will be retried with backoff.`,
        null, `{"orderId":${i}}`, attributeJson(i, sg), dbTime(t), received, received,
      ];
    },
    1000,
  );
  const tFailures = performance.now();

  // Minute rollup, in primary-key order.
  const groupIdsInOrder = plan.groups.map((g) => g.index).sort((a, b) => (plan.groups[a]!.id < plan.groups[b]!.id ? -1 : 1));
  const groupOrder = new Int32Array(G);
  groupIdsInOrder.forEach((g, rank) => (groupOrder[g] = rank));
  const sevOrder = SEVERITIES.map((s) => [...SEVERITIES].sort().indexOf(s));
  const minuteKeys = [...minuteRows.keys()];
  const decode = (key: number) => {
    const sev = key % 4;
    const rest = (key - sev) / 4;
    const g = Math.floor(rest / minuteCount);
    return { g, minute: (rest % minuteCount) + startMinute, sev };
  };
  minuteKeys.sort((a, b) => {
    const x = decode(a);
    const y = decode(b);
    return groupOrder[x.g]! - groupOrder[y.g]! || x.minute - y.minute || sevOrder[x.sev]! - sevOrder[y.sev]!;
  });
  await bulkInsert(
    conn,
    'failure_minute_stats',
    ['group_id', 'minute', 'pattern', 'severity', 'reported', 'retried', 'succeeded', 'discarded', 'resolved'],
    minuteKeys.length,
    (i) => {
      const { g, minute, sev } = decode(minuteKeys[i]!);
      const c = minuteRows.get(minuteKeys[i]!)!;
      const sg = plan.groups[g]!;
      return [sg.id, minute, sg.pattern, SEVERITIES[sev]!, c[0], c[1], c[2], c[3], c[4]];
    },
    2000,
  );
  // The hourly and daily tiers, as the app's writers keep them, re-aggregated from the minute rows.
  await loadTiers(conn);
  const tMinute = performance.now();

  const attributeEntries = [...attributeRows.entries()].map(([key, count]) => {
    const [g, attribute, value, hour] = key.split('\u0000');
    const sg = plan.groups[Number(g)]!;
    return { groupId: sg.id, serviceId: plan.services[sg.service]!.id, attribute: attribute!, value: value!, hour: Number(hour), count };
  });
  // Primary-key order of the GROUP_HOUR rows: group, hour, attribute, value.
  attributeEntries.sort((a, b) =>
    a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : a.hour - b.hour || (a.attribute < b.attribute ? -1 : a.attribute > b.attribute ? 1 : a.value < b.value ? -1 : a.value > b.value ? 1 : 0),
  );
  await bulkInsert(
    conn,
    'failure_attribute_tiers',
    ['scope', 'subject_id', 'bucket', 'attribute', 'value', 'count'],
    attributeEntries.length,
    (i) => {
      const r = attributeEntries[i]!;
      return ['GROUP_HOUR', r.groupId, r.hour, r.attribute, r.value, r.count];
    },
    2000,
  );
  for (const sql of ATTRIBUTE_TIERS) await conn.query(sql);
  const tAttr = performance.now();

  // Incidents: ~2 per big group over the month; 85% acknowledged, 70% resolved.
  const rnd = random(n);
  const incidentGroups = [...plan.groups].sort((a, b) => b.weight - a.weight).slice(0, 1000);
  const incidents = Array.from({ length: 2000 }, (_, i) => {
    const g = incidentGroups[i % incidentGroups.length]!;
    const triggered = Math.floor(plan.start + rnd() * (plan.end - plan.start - DAY_MS));
    const ack = rnd() < 0.85 ? triggered + Math.floor((1 + rnd() * 30) * MINUTE_MS) : null;
    const resolved = ack !== null && rnd() < 0.82 ? ack + Math.floor((5 + rnd() * 300) * MINUTE_MS) : null;
    return { g, triggered, ack, resolved, i };
  });
  await bulkInsert(
    conn,
    'incidents',
    ['id', 'group_id', 'open_group_id', 'service_id', 'status', 'severity', 'rank_score', 'rank_reasons', 'provider', 'policy_id', 'external_key', 'failure_count', 'notified_count', 'triggered_at', 'acknowledged_at', 'resolved_at', 'updated_at'],
    incidents.length,
    (i) => {
      const x = incidents[i]!;
      return [
        `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`, x.g.id, null, plan.services[x.g.service]!.id, x.resolved ? 'RESOLVED' : x.ack ? 'ACKNOWLEDGED' : 'TRIGGERED',
        SEVERITIES[x.g.severity]!, 50, '[]', 'pagerduty', 'bench-policy', `bench-${runId}-${i}`, 10, 1, dbTime(x.triggered), x.ack ? dbTime(x.ack) : null, x.resolved ? dbTime(x.resolved) : null,
        dbTime(x.resolved ?? x.ack ?? x.triggered),
      ];
    },
    500,
  );
  await conn.query('SET SESSION foreign_key_checks = 1, unique_checks = 1');
  const loadMs = performance.now() - started;
  log(
    `  loaded: groups ${((tGroups - started) / 1000).toFixed(1)} s, failures ${((tFailures - tGroups) / 1000).toFixed(1)} s (${Math.round(n / ((tFailures - tGroups) / 1000))} rows/s), ` +
      `minute rollup and its tiers ${((tMinute - tFailures) / 1000).toFixed(1)} s, attribute rollup and its tiers ${((tAttr - tMinute) / 1000).toFixed(1)} s, incidents ${((performance.now() - tAttr) / 1000).toFixed(1)} s`,
  );
  return { failures: n, groups: groupRows.length, minuteRows: minuteKeys.length, attributeRows: attributeEntries.length, incidents: incidents.length, generateMs, loadMs };
}

/** Cross-checks the loaded rollups against the raw failures; returns the problems found. */
export async function verifySeed(query: Query, data: SeedData): Promise<string[]> {
  const problems: string[] = [];
  const check = (label: string, a: unknown, b: unknown) => {
    if (String(a) !== String(b)) problems.push(`${label}: ${String(a)} ≠ ${String(b)}`);
  };
  const one = async (sql: string, params: unknown[] = []) => ((await query<Array<Record<string, unknown>>>(sql, params))[0] ?? {}) as Record<string, unknown>;
  const failures = await one('SELECT COUNT(*) AS n FROM failures');
  check('COUNT(*) failures vs generated', failures.n, data.n);
  const minute = await one('SELECT SUM(reported) AS r, SUM(retried) AS re, SUM(succeeded) AS s, SUM(discarded) AS d, SUM(resolved) AS rs FROM failure_minute_stats');
  const raw = await one(
    "SELECT COUNT(*) AS r, SUM(status IN ('RETRYING','SUCCEEDED')) AS re, SUM(status = 'SUCCEEDED') AS s, SUM(status = 'DISCARDED') AS d, SUM(status = 'RESOLVED') AS rs FROM failures",
  );
  for (const k of ['r', 're', 's', 'd', 'rs']) check(`minute rollup ${k} vs failures`, minute[k], raw[k]);
  const groups = await one('SELECT SUM(count) AS n, SUM(open_count) AS o FROM failure_groups');
  check('SUM(failure_groups.count) vs COUNT(*)', groups.n, failures.n);
  const open = await one("SELECT COUNT(*) AS n FROM failures WHERE status IN ('FAILED','RETRYING')");
  check('SUM(open_count) vs open failures', groups.o, open.n);
  const attrs = await query<Array<{ scope: string; attribute: string; n: unknown }>>('SELECT scope, attribute, SUM(count) AS n FROM failure_attribute_tiers GROUP BY scope, attribute');
  check('failure_attribute_tiers scopes × attributes', attrs.length, 16);
  for (const a of attrs) check(`attribute rollup ${a.scope} ${a.attribute} total vs COUNT(*)`, a.n, failures.n);
  // A few groups, one service and one hour, slice by slice.
  const largest = data.plan.groups[data.plan.largestGroup]!;
  const [gm, gf] = await Promise.all([
    one('SELECT SUM(reported) AS n FROM failure_minute_stats WHERE group_id = ?', [largest.id]),
    one('SELECT COUNT(*) AS n, MIN(occurred_at) AS first, MAX(occurred_at) AS last FROM failures WHERE group_id = ?', [largest.id]),
  ]);
  check('largest group: rollup vs COUNT(*)', gm.n, gf.n);
  const grow = await one('SELECT count, first_seen_at, last_seen_at FROM failure_groups WHERE id = ?', [largest.id]);
  check('largest group: count', grow.count, gf.n);
  check('largest group: first_seen_at', (grow.first_seen_at as Date).getTime(), (gf.first as Date).getTime());
  check('largest group: last_seen_at', (grow.last_seen_at as Date).getTime(), (gf.last as Date).getTime());
  const hourStart = data.plan.end - 5 * HOUR_MS - ((data.plan.end - 5 * HOUR_MS) % HOUR_MS);
  const [hm, hf] = await Promise.all([
    one('SELECT SUM(reported) AS n FROM failure_minute_stats WHERE minute >= ? AND minute < ?', [hourStart / MINUTE_MS, hourStart / MINUTE_MS + 60]),
    one('SELECT COUNT(*) AS n FROM failures WHERE occurred_at >= ? AND occurred_at < ?', [dbTime(hourStart), dbTime(hourStart + HOUR_MS)]),
  ]);
  check('one hour: rollup vs COUNT(*)', hm.n, hf.n);
  const [vm, vf] = await Promise.all([
    one("SELECT SUM(count) AS n FROM failure_attribute_tiers WHERE scope = 'SERVICE_HOUR' AND subject_id = ? AND attribute = 'version' AND value = ?", [data.plan.services[largest.service]!.id, versionName(largest.service, 0)]),
    one("SELECT COUNT(*) AS n FROM failures WHERE service_id = ? AND JSON_VALUE(attributes, '$.version') = ?", [data.plan.services[largest.service]!.id, versionName(largest.service, 0)]),
  ]);
  check("largest group's service, newest version: rollup vs COUNT(*)", vm.n, vf.n);
  // The tiers: every scope and span in total, one service's day, the largest group by day and attribute.
  const tiers = await query<Array<{ scope: string; span: string; n: unknown }>>('SELECT scope, span, SUM(reported) AS n FROM failure_stats_tiers GROUP BY scope, span');
  check('failure_stats_tiers scopes × spans', tiers.length, 9);
  for (const t of tiers) check(`failure_stats_tiers ${t.scope}/${t.span} total vs COUNT(*)`, t.n, failures.n);
  const day = Math.floor((data.plan.end - 2 * DAY_MS) / DAY_MS);
  const serviceId = data.plan.services[largest.service]!.id;
  const [sd, sf] = await Promise.all([
    one("SELECT SUM(reported) AS n, SUM(resolved) AS r FROM failure_stats_tiers WHERE scope = 'TOTAL' AND span = 'DAY' AND subject_id = ? AND bucket = ?", [serviceId, day]),
    one("SELECT COUNT(*) AS n, SUM(status = 'RESOLVED') AS r FROM failures WHERE service_id = ? AND occurred_at >= ? AND occurred_at < ?", [serviceId, dbTime(day * DAY_MS), dbTime((day + 1) * DAY_MS)]),
  ]);
  check("largest group's service, one day: tier vs COUNT(*)", sd.n, sf.n);
  check("largest group's service, one day: resolved", sd.r, sf.r);
  for (const span of ['HOUR', 'QUARTER', 'DAY']) {
    const gd = await one("SELECT SUM(reported) AS n FROM failure_stats_tiers WHERE scope = 'GROUP' AND span = ? AND subject_id = ?", [span, largest.id]);
    check(`largest group: ${span} tier vs COUNT(*)`, gd.n, gf.n);
  }
  const totals = await query<Array<{ attribute: string; n: unknown }>>("SELECT attribute, SUM(count) AS n FROM failure_attribute_tiers WHERE scope = 'GROUP' AND subject_id = ? GROUP BY attribute", [largest.id]);
  for (const a of totals) check(`largest group: attribute totals ${a.attribute} vs COUNT(*)`, a.n, gf.n);
  const vd = await one("SELECT SUM(count) AS n FROM failure_attribute_tiers WHERE scope = 'SERVICE_DAY' AND subject_id = ? AND attribute = 'version' AND value = ?", [serviceId, versionName(largest.service, 0)]);
  check("largest group's service, newest version: daily attribute tier vs COUNT(*)", vd.n, vf.n);
  return problems;
}
