import { type DataSource, type EntityManager, In } from 'typeorm';
import type { Logger } from 'pino';
import type { ChangeLog } from '../failures';
import { SEVERITY_BY_RANK, type Severity } from '../failures/failure.entity';
import { FailureGroupEntity } from '../grouping/failure-group.entity';
import type { IncidentService } from '../incidents/incident.service';
import { IncidentEntity } from '../incidents/incident.entity';
import { IncidentStatus } from '../incidents/incident.state';
import type { Dialect, TransactionRunner } from '../platform/db';
import type { OutboxWorker } from '../platform/outbox';
import { ServiceEntity, type ServiceRegistry } from '../registry';
import type { EscalationPolicyService } from './escalation-policy.service';
import { type GroupStats, readGroupStats } from './group-activity';
import { type GroupActivity, type PolicyRules, decide } from './policy-evaluation';
import { type Rank, rankGroup } from './ranking';

const SWEEP_BATCH = 100;
const PARALLEL_EVALUATIONS = 4; // SQLite runs them one at a time anyway
const RANK_CHUNK = 500; // groups ranked per unlocked pass (one short transaction each)

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
 * Anything that touches an incident is decided again under the group's row lock, so instances
 * never open two incidents for one group (the unique open-incident key would refuse it anyway);
 * ranking alone needs no lock (see rankAll).
 */
export class EscalationEvaluator {
  private readonly now: () => Date;

  constructor(private readonly options: EscalationEvaluatorOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Evaluates the groups touched by committed changes. One unlocked pass reads them all at once
   * and ranks them; only a group whose incident may change (one to open, re-notify, resolve or
   * bring up to date) is evaluated again under its row lock, as {@link evaluateGroup}.
   */
  async evaluateGroups(groupIds: readonly string[]): Promise<void> {
    const unique = [...new Set(groupIds)];
    const toLock: string[] = [];
    for (let i = 0; i < unique.length; i += RANK_CHUNK) toLock.push(...(await this.rankAll(unique.slice(i, i + RANK_CHUNK))));
    // Each evaluation locks only its own group (and incident), so a few can run side by side.
    let changed = false;
    let next = 0;
    const worker = async () => {
      while (next < toLock.length) changed = (await this.evaluateGroup(toLock[next++]!)) || changed;
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_EVALUATIONS, toLock.length) }, worker));
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
      const lastResolvedAt = open ? null : ((await this.lastResolvedAtOf(manager, [group.id])).get(group.id) ?? null);
      const rules = policy ? this.options.policies.rulesOf(policy) : null;
      const stats = await this.stats(manager, group, rules?.minSeverity ?? 'INFO', rules?.thresholdWindowSeconds ?? 300, lastResolvedAt, now);
      const rank = this.rankOf(group, stats, service.criticality);
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

  /**
   * Ranks the groups without locking them, in a few statements for all of them, and writes the
   * scores that changed; returns the groups left for the locked path (their rank is written there).
   *
   * A score is written only `WHERE count = ` the count read before the failures were counted.
   * Every new failure adds to its group's count in the transaction that stores it, and is followed
   * by an evaluation of the group that starts after that commit. So a write either rests on
   * exactly the failures stored now, or finds the count moved on and leaves the score to the
   * evaluation that follows the newer commit: a stale read never leaves an older score behind.
   * (Two writes from the same count differ only by the moment they were ranked at, as any
   * score does between evaluations.) Writes go in fingerprint order, the order ingestion locks
   * groups in, so they cannot deadlock with it.
   */
  private async rankAll(groupIds: readonly string[]): Promise<string[]> {
    if (groupIds.length === 0) return [];
    return this.options.transactions.run(async (manager) => {
      // Read first: the counts below include at least the failures this count includes.
      const groups = await manager.getRepository(FailureGroupEntity).findBy({ id: In([...groupIds]) });
      if (groups.length === 0) return [];
      const serviceIds = [...new Set(groups.map((g) => g.serviceId))];
      const [services, policies, openIncidents] = await Promise.all([
        manager.getRepository(ServiceEntity).findBy({ id: In(serviceIds) }),
        this.options.policies.forServices(serviceIds, manager),
        manager.getRepository(IncidentEntity).findBy({ openGroupId: In(groups.map((g) => g.id)) }),
      ]);
      const criticality = new Map(services.map((s) => [s.id, s.criticality]));
      const openByGroup = new Map(openIncidents.map((i) => [i.openGroupId!, i]));
      const rulesByService = new Map<string, PolicyRules>();
      for (const [serviceId, policy] of policies) if (policy) rulesByService.set(serviceId, this.options.policies.rulesOf(policy));
      // Without a policy the threshold counts decide nothing, and the default 5-minute window keeps
      // the read within the day the rank needs: the last incident's end does not matter then.
      const resolvedAt = await this.lastResolvedAtOf(
        manager,
        groups.filter((g) => rulesByService.has(g.serviceId) && !openByGroup.has(g.id)).map((g) => g.id),
      );
      const now = this.now();
      const stats = await readGroupStats(
        manager,
        groups.map((g) => {
          const rules = rulesByService.get(g.serviceId);
          return { groupId: g.id, minSeverity: rules?.minSeverity ?? 'INFO', windowSeconds: rules?.thresholdWindowSeconds ?? 300, after: resolvedAt.get(g.id) ?? null };
        }),
        now,
      );

      const toLock: string[] = [];
      const writes: Array<{ group: FailureGroupEntity; score: number }> = [];
      for (const group of groups) {
        const groupStats = stats.get(group.id)!;
        const serviceCriticality = criticality.get(group.serviceId);
        if (serviceCriticality === undefined) {
          toLock.push(group.id); // as good as gone; the locked path says so
          continue;
        }
        const rank = this.rankOf(group, groupStats, serviceCriticality);
        const rules = rulesByService.get(group.serviceId);
        if (rules) {
          const open = openByGroup.get(group.id) ?? null;
          const decision = decide(rules, activity(group, groupStats), open ? openState(open) : null, now);
          const stale = open && (open.failureCount !== group.count || Math.abs(open.rankScore - rank.score) > 1e-9);
          if (decision.kind !== 'none' || stale) {
            toLock.push(group.id);
            continue;
          }
        }
        if (Math.abs(rank.score - group.rankScore) > 1e-9) writes.push({ group, score: rank.score });
      }
      writes.sort((a, b) => (a.group.fingerprint < b.group.fingerprint ? -1 : a.group.fingerprint > b.group.fingerprint ? 1 : 0));
      for (const { group, score } of writes) {
        await manager.query('UPDATE failure_groups SET rank_score = ? WHERE id = ? AND count = ?', [score, group.id, group.count]);
      }
      return toLock;
    });
  }

  private rankOf(group: FailureGroupEntity, stats: GroupStats, criticality: number): Rank {
    return rankGroup({ ...stats.rankInput, maxSeverity: SEVERITY_BY_RANK[group.maxSeverity] ?? 'INFO', criticality, regressed: group.regressed });
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
      const rank = this.rankOf(group, stats, service.criticality);
      await this.options.incidents.renotify(manager, incident, group, rank, decision.why);
      return true;
    }
    return false;
  }

  /** When each group's last incident was resolved; groups without one are missing. */
  private async lastResolvedAtOf(manager: EntityManager, groupIds: readonly string[]): Promise<Map<string, Date>> {
    const result = new Map<string, Date>();
    if (groupIds.length === 0) return result;
    const rows: Array<{ group_id: string; at: string | Date | null }> = await manager.query(
      `SELECT group_id, MAX(resolved_at) AS at FROM incidents WHERE group_id IN (${groupIds.map(() => '?').join(', ')}) GROUP BY group_id`,
      [...groupIds],
    );
    for (const { group_id: groupId, at } of rows) {
      if (at) result.set(groupId, at instanceof Date ? at : new Date(`${String(at).replace(' ', 'T')}Z`));
    }
    return result;
  }

  /** Counts over the group's recent failures; only failures after its last incident count towards a new one. */
  private async stats(manager: EntityManager, group: FailureGroupEntity, minSeverity: Severity, windowSeconds: number, after: Date | null, now: Date): Promise<GroupStats> {
    const stats = await readGroupStats(manager, [{ groupId: group.id, minSeverity, windowSeconds, after }], now);
    return stats.get(group.id)!;
  }
}

function activity(group: FailureGroupEntity, counts: { qualifyingInWindow: number; criticalInWindow: number }): GroupActivity {
  return { status: group.status, qualifyingInWindow: counts.qualifyingInWindow, criticalInWindow: counts.criticalInWindow, lastSeenAt: group.lastSeenAt, resolvedAt: group.resolvedAt };
}

function openState(incident: IncidentEntity) {
  return { status: incident.status as 'TRIGGERED' | 'ACKNOWLEDGED', lastNotifiedAt: incident.lastNotifiedAt, failureCount: incident.failureCount };
}
