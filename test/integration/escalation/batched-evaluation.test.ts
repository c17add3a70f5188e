import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { AuthService } from '../../../src/auth';
import { ENTITIES } from '../../../src/entities';
import { CredentialsCipher } from '../../../src/escalation/credentials-cipher';
import { EscalationEvaluator } from '../../../src/escalation/escalation-evaluator';
import { EscalationPolicyService } from '../../../src/escalation/escalation-policy.service';
import type { EscalationPolicyInput } from '../../../src/escalation/escalation.types';
import { type Rank, rankGroup } from '../../../src/escalation/ranking';
import { SEVERITY_RANK, type Severity } from '../../../src/failures/failure.entity';
import type { FailureGroupEntity } from '../../../src/grouping/failure-group.entity';
import { ESCALATION_DELIVERY_KIND, IncidentService } from '../../../src/incidents/incident.service';
import { Dialect, TransactionRunner, createDataSource, toDbTimestamp } from '../../../src/platform/db';
import { OutboxWorker } from '../../../src/platform/outbox';
import { ServiceRegistry } from '../../../src/registry';
import { type TestDatabase, createTestDatabase } from '../../helpers/test-database';

/**
 * One evaluation of many groups at once (the unlocked pass for all of them, the locked one for
 * those whose incident changes) must rank and decide each group exactly as it would alone. The
 * expected counts are worked out here from the failures the test writes, not read back through
 * the evaluator's SQL; the rank arithmetic is the pure rankGroup (table-tested on its own).
 */
const NOW = new Date('2026-06-01T12:00:00.000Z');
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const KEY = 'a'.repeat(64);

interface FailureSpec {
  ageMs: number;
  severity: Severity;
  taskId: string;
  /** undefined: no host attribute at all. */
  host?: string;
}

interface GroupSpec {
  name: string;
  service: 'pagesAtError' | 'pagesAtCritical' | 'quiet5' | 'quiet1';
  failures: FailureSpec[];
  status?: 'OPEN' | 'RESOLVED';
  regressed?: boolean;
  /** An incident already open for the group: its failure count and rank as stored. */
  open?: { failureCount: number | 'current'; rankScore: number | 'expected' };
  /** The group's last incident was resolved this long ago. */
  resolvedIncidentAgeMs?: number;
  expect: 'trigger' | 'no incident' | 'refreshed' | 'untouched';
}

const SERVICES = {
  pagesAtError: { criticality: 3, policy: { minSeverity: 'ERROR', thresholdCount: 3, thresholdWindowSeconds: 300, groupWaitSeconds: 0 } },
  pagesAtCritical: { criticality: 5, policy: { minSeverity: 'CRITICAL', thresholdCount: 100, thresholdWindowSeconds: 600, groupWaitSeconds: 60 } },
  quiet5: { criticality: 5, policy: null },
  quiet1: { criticality: 1, policy: null },
} as const;

let taskSeq = 0;
const f = (ageMs: number, severity: Severity, host?: string, taskId = `task-${taskSeq++}`): FailureSpec => ({ ageMs, severity, host, taskId });
const many = (count: number, make: (i: number) => FailureSpec) => Array.from({ length: count }, (_, i) => make(i));

function groupSpecs(): GroupSpec[] {
  const specs: GroupSpec[] = [
    // Hosts byte for byte; 12 tasks; a surge over an empty baseline.
    { name: 'hosts', service: 'quiet5', expect: 'no incident', failures: [f(MINUTE, 'ERROR', 'w1'), f(2 * MINUTE, 'ERROR', 'W1'), f(3 * MINUTE, 'ERROR', 'w1 '), f(4 * MINUTE, 'ERROR', ''), ...many(8, (i) => f(10 * MINUTE + i * SECOND, 'WARNING'))] },
    // A busy day before: 300 in the baseline, 6 now (no surge); older than a day does not count.
    { name: 'baseline', service: 'quiet5', expect: 'no incident', failures: [...many(300, (i) => f(HOUR + i * MINUTE, 'ERROR', `b${i % 2}`)), ...many(6, (i) => f(MINUTE + i * SECOND, 'ERROR', 'b0')), ...many(50, (i) => f(30 * HOUR + i * SECOND, 'CRITICAL', `old${i}`))] },
    { name: 'info', service: 'quiet1', expect: 'no incident', failures: [f(MINUTE, 'INFO', ''), f(2 * MINUTE, 'INFO'), f(3 * MINUTE, 'INFO', 'x')] },
    { name: 'regressed', service: 'quiet1', regressed: true, expect: 'no incident', failures: [f(20 * MINUTE, 'CRITICAL', 'r1'), f(MINUTE, 'WARNING', 'r2')] },
    // Only the 500 newest failures of the last 15 minutes count for hosts: the older 20 bring 3 more hosts that must not.
    { name: 'sample', service: 'quiet5', expect: 'no incident', failures: [...many(500, (i) => f(10 * SECOND + i * SECOND, 'ERROR', i % 2 ? 'even' : 'odd', `s${i % 7}`)), ...many(20, (i) => f(700 * SECOND + i * SECOND, 'ERROR', `late${i % 3}`))] },
    // Threshold met (3 ERROR or worse in 5 minutes; the WARNINGs do not count): pages after no wait.
    { name: 'threshold', service: 'pagesAtError', expect: 'trigger', failures: [f(MINUTE, 'ERROR', 'a'), f(2 * MINUTE, 'CRITICAL', 'b'), f(3 * MINUTE, 'ERROR', 'c'), f(MINUTE, 'WARNING', 'd')] },
    { name: 'below threshold', service: 'pagesAtError', expect: 'no incident', failures: [f(MINUTE, 'ERROR', 'a'), f(2 * MINUTE, 'ERROR', 'a'), ...many(5, (i) => f(MINUTE + i * SECOND, 'WARNING', 'z')), f(6 * MINUTE, 'ERROR')] },
    // Three qualifying failures, but two came before the last incident was resolved.
    { name: 'after resolve', service: 'pagesAtError', resolvedIncidentAgeMs: 2 * MINUTE, expect: 'no incident', failures: [f(4 * MINUTE, 'ERROR', 'a'), f(3 * MINUTE, 'ERROR', 'a'), f(MINUTE, 'ERROR', 'a')] },
    { name: 'resolved group', service: 'pagesAtError', status: 'RESOLVED', expect: 'no incident', failures: [f(MINUTE, 'ERROR'), f(MINUTE, 'ERROR'), f(MINUTE, 'ERROR')] },
    { name: 'critical', service: 'pagesAtCritical', expect: 'trigger', failures: [f(9 * MINUTE, 'CRITICAL', 'k'), f(MINUTE, 'ERROR', 'k')] },
    { name: 'no critical', service: 'pagesAtCritical', expect: 'no incident', failures: [f(MINUTE, 'ERROR', 'k'), f(11 * MINUTE, 'CRITICAL', 'k')] },
    { name: 'open, behind', service: 'pagesAtError', open: { failureCount: 1, rankScore: 3 }, expect: 'refreshed', failures: [f(MINUTE, 'ERROR', 'a'), f(MINUTE, 'ERROR', 'b')] },
    { name: 'open, rank behind', service: 'pagesAtCritical', open: { failureCount: 'current', rankScore: 1 }, expect: 'refreshed', failures: [f(MINUTE, 'CRITICAL', 'a')] },
    { name: 'open, current', service: 'pagesAtError', open: { failureCount: 'current', rankScore: 'expected' }, expect: 'untouched', failures: [f(MINUTE, 'WARNING', 'a')] },
  ];
  // More groups than one statement reads (50), with assorted hosts, tasks and severities.
  const severities: Severity[] = ['INFO', 'WARNING', 'ERROR', 'CRITICAL'];
  for (let g = 0; g < 45; g++) {
    specs.push({
      name: `filler ${g}`,
      service: g % 3 ? 'quiet1' : 'quiet5',
      expect: 'no incident',
      failures: many(1 + ((g * 7) % 23), (i) => f((i % 4) * 4 * MINUTE + (g % 5) * SECOND + i * 100, severities[(g + i) % 4]!, (g + i) % 5 ? `h${(g * i) % 4}` : undefined, `t${g}-${i % (1 + (g % 12))}`)),
    });
  }
  return specs;
}

/** What the rank should be, counted here from the spec (see GroupActivity and RankInput). */
function expectedRank(spec: GroupSpec): Rank {
  const recent = spec.failures.filter((x) => x.ageMs <= 15 * MINUTE);
  const newest = [...recent].sort((a, b) => a.ageMs - b.ageMs).slice(0, 500);
  const maxSeverity = spec.failures.reduce<Severity>((max, x) => (SEVERITY_RANK[x.severity] > SEVERITY_RANK[max] ? x.severity : max), 'INFO');
  return rankGroup({
    maxSeverity,
    criticality: SERVICES[spec.service].criticality,
    failuresLast5m: spec.failures.filter((x) => x.ageMs <= 5 * MINUTE).length,
    failuresLast15m: recent.length,
    baselinePer5m: spec.failures.filter((x) => x.ageMs > 15 * MINUTE && x.ageMs <= 24 * HOUR).length / 285,
    distinctTasksLast15m: new Set(recent.map((x) => x.taskId)).size,
    distinctHostsLast15m: new Set(newest.map((x) => x.host).filter(Boolean)).size,
    regressed: spec.regressed ?? false,
  });
}

describe('escalation evaluation of many groups in one tick', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let evaluator: EscalationEvaluator;
  let pieces: ConstructorParameters<typeof EscalationEvaluator>[0];
  const specs = groupSpecs();
  const groupIds = new Map<string, string>();
  const incidentBefore = new Map<string, { id: string; updatedAt: string }>();

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = createDataSource(db.config, ENTITIES);
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
    const dialect = new Dialect(db.config.type);
    const transactions = new TransactionRunner(dataSource, dialect);
    const logger = pino({ level: 'silent' });
    const registry = new ServiceRegistry(dataSource, transactions, new AuthService({ dataSource }));
    const policies = new EscalationPolicyService(dataSource, transactions, registry, new CredentialsCipher(KEY));
    // Never started: the pages it is asked to send stay queued.
    const outbox = new OutboxWorker({ dataSource, dialect, transactions, logger, pollIntervalMs: 60_000, maxAttempts: 1 });
    outbox.register({ kind: ESCALATION_DELIVERY_KIND, handle: async () => undefined });
    const changes = { record: async () => undefined, committed: () => undefined };
    const incidents = new IncidentService({ dataSource, dialect, transactions, outbox, changes, registry, maxPageSize: 100, now: () => NOW });
    pieces = { dataSource, dialect, transactions, registry, policies, incidents, outbox, changes, logger, now: () => NOW };
    evaluator = new EscalationEvaluator(pieces);

    const admin = { role: 'ADMIN' as const, tokenId: null, serviceId: null, actor: 'test' };
    const serviceIds = new Map<string, string>();
    const policyIds = new Map<string, string>();
    for (const [key, { criticality, policy }] of Object.entries(SERVICES)) {
      const { service } = await registry.createService(admin, { name: `batch-${key.toLowerCase()}-${randomUUID().slice(0, 8)}`, team: 'test', criticality });
      serviceIds.set(key, service.id);
      if (policy) {
        const input = { ...policy, service: service.name, provider: 'PAGERDUTY', routingKey: 'P'.repeat(32), repeatIntervalSeconds: 3600, quietPeriodSeconds: 1800, flapWindowSeconds: 300 };
        policyIds.set(key, (await policies.set(input as unknown as EscalationPolicyInput)).id);
      }
    }

    const at = (ageMs: number) => toDbTimestamp(new Date(NOW.getTime() - ageMs));
    for (const spec of specs) {
      const id = randomUUID();
      groupIds.set(spec.name, id);
      const serviceId = serviceIds.get(spec.service)!;
      const maxSeverity = Math.max(...spec.failures.map((x) => SEVERITY_RANK[x.severity]));
      const newest = Math.min(...spec.failures.map((x) => x.ageMs));
      const oldest = Math.max(...spec.failures.map((x) => x.ageMs));
      await dataSource.query(
        `INSERT INTO failure_groups (id, service_id, fingerprint, task_type, error_type, message_template, status, regressed, count, open_count, first_seen_at, last_seen_at, resolved_at, max_severity, rank_score)
         VALUES (?, ?, ?, 'task', 'Error', 'boom', ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
        [id, serviceId, `fp-${id}`, spec.status ?? 'OPEN', spec.regressed ? 1 : 0, spec.failures.length, spec.failures.length, at(oldest), at(newest), spec.status === 'RESOLVED' ? at(30 * MINUTE) : null, maxSeverity],
      );
      for (let i = 0; i < spec.failures.length; i += 200) {
        const chunk = spec.failures.slice(i, i + 200);
        await dataSource.query(
          `INSERT INTO failures (id, service_id, group_id, idempotency_key, task_type, task_id, pattern, source, status, attempt, severity, error_type, error_message, stack_trace, payload, attributes, occurred_at, received_at, updated_at)
           VALUES ${chunk.map(() => "(?, ?, ?, ?, 'task', ?, 'OTHER', NULL, 'FAILED', 1, ?, 'Error', 'boom', NULL, '{}', ?, ?, ?, ?)").join(', ')}`,
          chunk.flatMap((x) => {
            const failureId = randomUUID();
            return [failureId, serviceId, id, failureId, x.taskId, x.severity, JSON.stringify(x.host === undefined ? { region: 'eu' } : { host: x.host }), at(x.ageMs), at(x.ageMs), at(x.ageMs)];
          }),
        );
      }
      const group = { id, serviceId, count: spec.failures.length } as FailureGroupEntity;
      const policyId = policyIds.get(spec.service)!;
      if (spec.resolvedIncidentAgeMs !== undefined) {
        const old = await transactions.run((manager) => incidents.open(manager, { group, policyId, provider: 'PAGERDUTY', severity: 'ERROR', rankScore: 1, rankReasons: [], delaySeconds: 0, why: 'test' }));
        await dataSource.query("UPDATE incidents SET status = 'RESOLVED', open_group_id = NULL, resolved_at = ? WHERE id = ?", [at(spec.resolvedIncidentAgeMs), old.id]);
      }
      if (spec.open) {
        const rank = expectedRank(spec);
        const incident = await transactions.run((manager) => incidents.open(manager, { group, policyId, provider: 'PAGERDUTY', severity: rank.severity, rankScore: 0, rankReasons: rank.reasons, delaySeconds: 0, why: 'test' }));
        const failureCount = spec.open.failureCount === 'current' ? spec.failures.length : spec.open.failureCount;
        const rankScore = spec.open.rankScore === 'expected' ? rank.score : spec.open.rankScore;
        await dataSource.query('UPDATE incidents SET failure_count = ?, rank_score = ?, last_notified_at = ?, updated_at = ? WHERE id = ?', [failureCount, rankScore, at(MINUTE), at(HOUR), incident.id]);
        incidentBefore.set(spec.name, { id: incident.id, updatedAt: at(HOUR) });
      }
    }
  }, 60_000);

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  const ranks = async () => {
    const rows: Array<{ id: string; rank_score: number | string }> = await dataSource.query('SELECT id, rank_score FROM failure_groups');
    return new Map(rows.map((r) => [r.id, Number(r.rank_score)]));
  };
  const incidentsOf = async (groupId: string) => {
    const rows: Array<{ id: string; status: string; rank_score: number | string; severity: string; rank_reasons: string; failure_count: number | string; updated_at: string | Date }> = await dataSource.query(
      'SELECT id, status, rank_score, severity, rank_reasons, failure_count, updated_at FROM incidents WHERE open_group_id = ?',
      [groupId],
    );
    return rows.map((r) => ({ ...r, rank_score: Number(r.rank_score), failure_count: Number(r.failure_count), reasons: JSON.parse(r.rank_reasons) as string[] }));
  };

  it('ranks every group and opens, refreshes or leaves incidents as each group alone would', async () => {
    expect(specs.length).toBeGreaterThan(50);
    await evaluator.evaluateGroups([...groupIds.values()]);

    const stored = await ranks();
    for (const spec of specs) {
      const id = groupIds.get(spec.name)!;
      const rank = expectedRank(spec);
      expect({ group: spec.name, score: stored.get(id) }).toEqual({ group: spec.name, score: rank.score });
      const open = await incidentsOf(id);
      switch (spec.expect) {
        case 'no incident':
          expect({ group: spec.name, open: open.length }).toEqual({ group: spec.name, open: 0 });
          break;
        case 'trigger':
        case 'refreshed':
          expect({ group: spec.name, open }).toEqual({
            group: spec.name,
            open: [expect.objectContaining({ status: 'TRIGGERED', rank_score: rank.score, failure_count: spec.failures.length, ...(spec.expect === 'trigger' ? { severity: rank.severity } : {}), reasons: rank.reasons })],
          });
          if (spec.expect === 'refreshed') expect(open[0]!.id).toBe(incidentBefore.get(spec.name)!.id);
          break;
        case 'untouched': {
          const before = incidentBefore.get(spec.name)!;
          expect(open).toHaveLength(1);
          expect(toDbTimestamp(new Date(open[0]!.updated_at instanceof Date ? open[0]!.updated_at : `${String(open[0]!.updated_at).replace(' ', 'T')}Z`))).toBe(before.updatedAt);
          break;
        }
      }
    }
    // The ranks spread: a batch that gave every group one group's numbers could not pass.
    expect(new Set(specs.map((s) => expectedRank(s).score)).size).toBeGreaterThan(5);
  });

  it('finds nothing left to do when each group is then evaluated alone, under its lock', async () => {
    const before = await ranks();
    for (const spec of specs) {
      expect({ group: spec.name, changed: await evaluator.evaluateGroup(groupIds.get(spec.name)!) }).toEqual({ group: spec.name, changed: false });
    }
    expect(await ranks()).toEqual(before);
    const rows: Array<{ n: number | string }> = await dataSource.query('SELECT COUNT(*) AS n FROM incidents WHERE open_group_id IS NOT NULL');
    expect(Number(rows[0]!.n)).toBe(specs.filter((s) => s.expect !== 'no incident').length);
  });

  it('does not write a score read before a newer commit, and the evaluation after that commit does', async () => {
    const spec = specs.find((s) => s.name === 'hosts')!;
    const id = groupIds.get(spec.name)!;
    await dataSource.query('UPDATE failure_groups SET rank_score = 0 WHERE id = ?', [id]);
    // A report commits while the evaluation reads: after the group row, before the counts.
    const racing = Object.create(pieces.policies) as EscalationPolicyService;
    racing.forServices = async (ids, manager) => {
      await dataSource.query('UPDATE failure_groups SET count = count + 1 WHERE id = ?', [id]);
      return pieces.policies.forServices(ids, manager);
    };
    await new EscalationEvaluator({ ...pieces, policies: racing }).evaluateGroups([id]);
    expect((await ranks()).get(id)).toBe(0);
    await evaluator.evaluateGroups([id]);
    expect((await ranks()).get(id)).toBe(expectedRank(spec).score);
  });
});
