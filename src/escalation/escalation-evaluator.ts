import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import type { ChangeLog } from '../failures';
import { SEVERITY_BY_RANK, SEVERITY_RANK, type Severity } from '../failures/failure.entity';
import { FailureGroupEntity } from '../grouping/failure-group.entity';
import type { IncidentService } from '../incidents/incident.service';
import type { IncidentEntity } from '../incidents/incident.entity';
import { IncidentStatus } from '../incidents/incident.state';
import { type Dialect, toDbTimestamp, type TransactionRunner } from '../platform/db';
import type { OutboxWorker } from '../platform/outbox';
import type { ServiceEntity, ServiceRegistry } from '../registry';
import type { EscalationPolicyService } from './escalation-policy.service';
import { type GroupActivity, decide } from './policy-evaluation';
import { type Rank, rankGroup } from './ranking';

const MINUTE = 60_000;
const BASELINE_WINDOW_MS = 24 * 60 * MINUTE; // the usual rate is measured over the last day…
const RECENT_WINDOW_MS = 15 * MINUTE; // …before the last 15 minutes
const HOST_SAMPLE = 500; // recent failures read for the distinct-host count
const SWEEP_BATCH = 100;
const PARALLEL_EVALUATIONS = 4; // SQLite runs them one at a time anyway

export interface EscalationEvaluatorOptions {
  dataSource: DataSource;
  dialect: Dialect;
  transactions: TransactionRunner;
  registry: ServiceRegistry;
  policies: EscalationPolicyService;
  incidents: IncidentService;
  outbox: OutboxWorker;
  changes: ChangeLog;
  logger: Logger;
  now?: () => Date;
}

/**
 * Decides, per failure group, whether to open, re-notify or resolve an incident, and keeps the
 * group's rank score current. Driven by committed changes (through the outbox) and by a
 * periodic sweep for what time alone makes due (quiet periods, flap windows, repeats).
 * Each group is evaluated under its row lock, so instances never open two incidents for one
 * group (the unique open-incident key would refuse it anyway).
 */
export class EscalationEvaluator {
  private readonly now: () => Date;

  constructor(private readonly options: EscalationEvaluatorOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async evaluateGroups(groupIds: readonly string[]): Promise<void> {
    // Each evaluation locks only its own group (and incident), so a few can run side by side.
    let changed = false;
    let next = 0;
    const worker = async () => {
      while (next < groupIds.length) changed = (await this.evaluateGroup(groupIds[next++]!)) || changed;
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_EVALUATIONS, groupIds.length) }, worker));
    if (changed) {
      this.options.outbox.nudge();
      this.options.changes.committed();
    }
  }

  /** Resolves and re-notifies open incidents whose time has come; returns how many changed. */
  async sweep(): Promise<number> {
    const changed = await this.options.transactions.run(async (manager) => {
      let count = 0;
      for (const incident of await this.options.incidents.lockOpen(manager, SWEEP_BATCH)) {
        if (await this.reconsider(manager, incident)) count += 1;
      }
      return count;
    });
    if (changed) {
      this.options.outbox.nudge();
      this.options.changes.committed();
    }
    return changed;
  }

  /** True when it changed anything. */
  async evaluateGroup(groupId: string): Promise<boolean> {
    return this.options.transactions.run(async (manager) => {
      const qb = manager.getRepository(FailureGroupEntity).createQueryBuilder('g').where('g.id = :groupId', { groupId });
      const group = await this.options.dialect.forUpdate(qb).getOne();
      if (!group) return false;
      // Reads inside the transaction use its connection: holding the group lock while waiting for
      // a second pool connection could starve the pool under a burst of reports to this group.
      const service = await this.options.registry.getById(group.serviceId, manager);
      const policy = await this.options.policies.forService(service.id, manager);
      const now = this.now();
      const open = await this.options.incidents.lockOpenForGroup(manager, group.id);
      const lastResolvedAt = open ? null : await this.lastResolvedAt(manager, group.id);
      const rules = policy ? this.options.policies.rulesOf(policy) : null;
      const stats = await this.stats(manager, group, rules?.minSeverity ?? 'INFO', rules?.thresholdWindowSeconds ?? 300, lastResolvedAt, now);
      const rank = rankGroup({ ...stats.rankInput, maxSeverity: SEVERITY_BY_RANK[group.maxSeverity] ?? 'INFO', criticality: service.criticality, regressed: group.regressed });
      if (Math.abs(rank.score - group.rankScore) > 1e-9) {
        await manager.query('UPDATE failure_groups SET rank_score = ? WHERE id = ?', [rank.score, group.id]);
      }
      if (!policy || !rules) return false;

      const decision = decide(rules, activity(group, stats), open ? openState(open) : null, now);
      switch (decision.kind) {
        case 'trigger':
          await this.options.incidents.open(manager, {
            group,
            policyId: policy.id,
            provider: policy.provider,
            severity: rank.severity,
            rankScore: rank.score,
            rankReasons: rank.reasons,
            delaySeconds: decision.delaySeconds,
            why: decision.why,
          });
          return true;
        case 'renotify':
          await this.options.incidents.renotify(manager, open!, group, rank, decision.why);
          return true;
        case 'resolve':
          return this.options.incidents.moveLocked(manager, open!, IncidentStatus.RESOLVED, { actor: 'failure-desk', note: `auto-resolved: ${decision.why}` });
        case 'none':
          // The open incident follows its group: current counts and rank, no new page.
          if (open && (open.failureCount !== group.count || Math.abs(open.rankScore - rank.score) > 1e-9)) {
            await this.options.incidents.refresh(manager, open, group, rank);
          }
          return false;
      }
    });
  }

  private async reconsider(manager: EntityManager, incident: IncidentEntity): Promise<boolean> {
    const group = await manager.getRepository(FailureGroupEntity).findOneBy({ id: incident.groupId });
    const policy = await this.options.policies.getById(incident.policyId, manager);
    if (!group || !policy) return false;
    const rules = this.options.policies.rulesOf(policy);
    const decision = decide(rules, activity(group, { qualifyingInWindow: 0, criticalInWindow: 0 }), openState(incident), this.now());
    if (decision.kind === 'resolve') {
      return this.options.incidents.moveLocked(manager, incident, IncidentStatus.RESOLVED, { actor: 'failure-desk', note: `auto-resolved: ${decision.why}` });
    }
    if (decision.kind === 'renotify') {
      const service: ServiceEntity = await this.options.registry.getById(group.serviceId, manager);
      const stats = await this.stats(manager, group, rules.minSeverity, rules.thresholdWindowSeconds, null, this.now());
      const rank: Rank = rankGroup({ ...stats.rankInput, maxSeverity: SEVERITY_BY_RANK[group.maxSeverity] ?? 'INFO', criticality: service.criticality, regressed: group.regressed });
      await this.options.incidents.renotify(manager, incident, group, rank, decision.why);
      return true;
    }
    return false;
  }

  private async lastResolvedAt(manager: EntityManager, groupId: string): Promise<Date | null> {
    const rows: Array<{ at: string | Date | null }> = await manager.query('SELECT MAX(resolved_at) AS at FROM incidents WHERE group_id = ?', [groupId]);
    const at = rows[0]?.at;
    if (!at) return null;
    return at instanceof Date ? at : new Date(`${String(at).replace(' ', 'T')}Z`);
  }

  /** Counts over the group's recent failures; only failures after its last incident count towards a new one. */
  private async stats(manager: EntityManager, group: FailureGroupEntity, minSeverity: Severity, windowSeconds: number, after: Date | null, now: Date) {
    const t = now.getTime();
    const at = (ms: number) => toDbTimestamp(new Date(ms));
    const windowStart = Math.max(t - windowSeconds * 1000, after ? after.getTime() + 1 : 0);
    const qualifying = Object.entries(SEVERITY_RANK).filter(([, rank]) => rank >= SEVERITY_RANK[minSeverity]).map(([s]) => s);
    const rows: Array<Record<string, string | number | null>> = await manager.query(
      `SELECT
         SUM(CASE WHEN received_at >= ? THEN 1 ELSE 0 END) AS last5m,
         SUM(CASE WHEN received_at >= ? THEN 1 ELSE 0 END) AS last15m,
         SUM(CASE WHEN received_at < ? THEN 1 ELSE 0 END) AS baseline,
         SUM(CASE WHEN received_at >= ? AND severity IN (${qualifying.map(() => '?').join(', ')}) THEN 1 ELSE 0 END) AS qualifying,
         SUM(CASE WHEN received_at >= ? AND severity = 'CRITICAL' THEN 1 ELSE 0 END) AS critical,
         COUNT(DISTINCT CASE WHEN received_at >= ? THEN task_id END) AS tasks15m
       FROM failures WHERE group_id = ? AND received_at >= ?`,
      [at(t - 5 * MINUTE), at(t - RECENT_WINDOW_MS), at(t - RECENT_WINDOW_MS), at(windowStart), ...qualifying, at(windowStart), at(t - RECENT_WINDOW_MS), group.id, at(Math.min(t - BASELINE_WINDOW_MS, windowStart))],
    );
    const n = (key: string) => Number(rows[0]?.[key] ?? 0);
    const recent: Array<{ attributes: string }> = await manager.query('SELECT attributes FROM failures WHERE group_id = ? AND received_at >= ? ORDER BY received_at DESC LIMIT ?', [
      group.id,
      at(t - RECENT_WINDOW_MS),
      HOST_SAMPLE,
    ]);
    const hosts = new Set(recent.map((r) => (JSON.parse(r.attributes) as Record<string, string>).host).filter(Boolean));
    const baselineSlots = (BASELINE_WINDOW_MS - RECENT_WINDOW_MS) / (5 * MINUTE);
    return {
      qualifyingInWindow: n('qualifying'),
      criticalInWindow: n('critical'),
      rankInput: {
        failuresLast5m: n('last5m'),
        failuresLast15m: n('last15m'),
        baselinePer5m: n('baseline') / baselineSlots,
        distinctTasksLast15m: n('tasks15m'),
        distinctHostsLast15m: hosts.size,
      },
    };
  }
}

function activity(group: FailureGroupEntity, counts: { qualifyingInWindow: number; criticalInWindow: number }): GroupActivity {
  return { status: group.status, qualifyingInWindow: counts.qualifyingInWindow, criticalInWindow: counts.criticalInWindow, lastSeenAt: group.lastSeenAt, resolvedAt: group.resolvedAt };
}

function openState(incident: IncidentEntity) {
  return { status: incident.status as 'TRIGGERED' | 'ACKNOWLEDGED', lastNotifiedAt: incident.lastNotifiedAt, failureCount: incident.failureCount };
}
