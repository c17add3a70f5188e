import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { type Principal, Role, requireServiceAccess } from '../auth';
import { FailureGroupEntity } from '../grouping/failure-group.entity';
import type { GroupingService } from '../grouping/grouping.service';
import { type Dialect, toDbTimestamp, type TransactionRunner } from '../platform/db';
import { BadUserInputError, ForbiddenError, NotFoundError } from '../platform/errors';
import type { OutboxWorker } from '../platform/outbox';
import type { ServiceRegistry } from '../registry';
import type { MinuteStatsWriter, StatsCounter } from '../insights/minute-stats';
import type { AuditSubjectType } from './audit-entry.entity';
import { AuditLog, SYSTEM_ACTOR } from './audit-log';
import type { ChangeLog } from './change-log';
import { FailureEntity } from './failure.entity';
import { FailureStatus, assertFailureTransition, isOpenFailureStatus } from './failure.state';
import type { RetryDispatcher, RetryRequest } from './retry-dispatcher';

/** Audit actions, as `Failure.history` shows them. */
export const FailureAction = {
  RETRY_REQUESTED: 'RETRY_REQUESTED',
  RETRY_SUCCEEDED: 'RETRY_SUCCEEDED',
  RETRY_FAILED: 'RETRY_FAILED',
  RETRY_UNDELIVERABLE: 'RETRY_UNDELIVERABLE',
  RETRY_TIMED_OUT: 'RETRY_TIMED_OUT',
  DISCARDED: 'DISCARDED',
  RESOLVED: 'RESOLVED',
} as const;
export type FailureAction = (typeof FailureAction)[keyof typeof FailureAction];

/** What each move counts in the statistics (a retry that failed again counts nothing new). */
const STATS_COUNTER_OF: Partial<Record<FailureStatus, StatsCounter>> = {
  RETRYING: 'retried',
  SUCCEEDED: 'succeeded',
  DISCARDED: 'discarded',
  RESOLVED: 'resolved',
};

const NOTE_MAX_CHARS = 2_000;

export interface FailureActionServiceOptions {
  transactions: TransactionRunner;
  dialect: Dialect;
  grouping: GroupingService;
  registry: ServiceRegistry;
  dispatcher: RetryDispatcher;
  outbox: OutboxWorker;
  changes: ChangeLog;
  stats: MinuteStatsWriter;
  /** Makes a reported error message safe to store (redaction and size bound). */
  sanitizeMessage: (message: string) => string;
  now?: () => Date;
}

interface Move {
  to: FailureStatus;
  action: FailureAction;
  note: string | null;
}

/**
 * Operator actions on failures and groups, and the owning service's answer to a retry.
 * Each action is one transaction: the status change, the group counters, the audit entry and
 * any retry request (as an outbox row) commit together or not at all.
 */
export class FailureActionService {
  private readonly now: () => Date;
  private readonly auditLog = new AuditLog();

  constructor(private readonly options: FailureActionServiceOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async retry(principal: Principal, failureId: string, note?: string | null): Promise<FailureEntity> {
    const failure = await this.actOnOne(failureId, async (manager, current) => {
      const service = await this.options.registry.getById(current.serviceId, manager);
      await this.options.dispatcher.assertDeliverable(service);
      await this.move(manager, current, { to: FailureStatus.RETRYING, action: FailureAction.RETRY_REQUESTED, note: optionalNote(note) }, principal.actor);
      await this.requestRetry(manager, current);
    });
    this.options.outbox.nudge();
    return failure;
  }

  discard(principal: Principal, failureId: string, reason: string): Promise<FailureEntity> {
    const move = { to: FailureStatus.DISCARDED, action: FailureAction.DISCARDED, note: requiredNote(reason, 'reason') };
    return this.actOnOne(failureId, (manager, current) => this.move(manager, current, move, principal.actor));
  }

  resolve(principal: Principal, failureId: string, note: string): Promise<FailureEntity> {
    const move = { to: FailureStatus.RESOLVED, action: FailureAction.RESOLVED, note: requiredNote(note, 'note') };
    return this.actOnOne(failureId, (manager, current) => this.move(manager, current, move, principal.actor));
  }

  /** The owning service reports how its retry went; a failed retry counts as a new attempt. */
  completeRetry(principal: Principal, failureId: string, succeeded: boolean, errorMessage?: string | null): Promise<FailureEntity> {
    return this.actOnOne(failureId, async (manager, current) => {
      if (principal.role === Role.REPORTER) {
        const service = await this.options.registry.getById(current.serviceId, manager);
        requireServiceAccess(principal, service.id, service.name);
      } else if (principal.role !== Role.ADMIN) {
        throw new ForbiddenError('Only the owning service (or an admin) completes a retry');
      }
      if (succeeded) {
        await this.move(manager, current, { to: FailureStatus.SUCCEEDED, action: FailureAction.RETRY_SUCCEEDED, note: null }, principal.actor);
        return;
      }
      const message = errorMessage?.trim() ? this.options.sanitizeMessage(errorMessage) : null;
      await this.move(manager, current, { to: FailureStatus.FAILED, action: FailureAction.RETRY_FAILED, note: message }, principal.actor, {
        attempt: current.attempt + 1,
        ...(message ? { errorMessage: message } : {}),
      });
    });
  }

  retryGroup(principal: Principal, groupId: string, note?: string | null): Promise<{ group: FailureGroupEntity; affected: number }> {
    return this.actOnGroup(principal, groupId, [FailureStatus.FAILED], FailureAction.RETRY_REQUESTED, optionalNote(note), async (manager, failure, group) => {
      if (failure === null) {
        await this.options.dispatcher.assertDeliverable(await this.options.registry.getById(group.serviceId, manager));
        return;
      }
      await this.move(manager, failure, { to: FailureStatus.RETRYING, action: FailureAction.RETRY_REQUESTED, note: optionalNote(note) }, principal.actor);
      await this.requestRetry(manager, failure);
    });
  }

  discardGroup(principal: Principal, groupId: string, reason: string): Promise<{ group: FailureGroupEntity; affected: number }> {
    const move = { to: FailureStatus.DISCARDED, action: FailureAction.DISCARDED, note: requiredNote(reason, 'reason') };
    return this.actOnGroup(principal, groupId, [FailureStatus.FAILED, FailureStatus.RETRYING], move.action, move.note, async (manager, failure) => {
      if (failure) await this.move(manager, failure, move, principal.actor);
    });
  }

  resolveGroup(principal: Principal, groupId: string, note: string): Promise<{ group: FailureGroupEntity; affected: number }> {
    const move = { to: FailureStatus.RESOLVED, action: FailureAction.RESOLVED, note: requiredNote(note, 'note') };
    return this.actOnGroup(principal, groupId, [FailureStatus.FAILED, FailureStatus.RETRYING], move.action, move.note, async (manager, failure) => {
      if (failure) await this.move(manager, failure, move, principal.actor);
    });
  }

  /** Called by a retry route that gave up delivering: the failure is open again, and says why. */
  async retryUndeliverable(manager: EntityManager, request: RetryRequest, reason: string): Promise<void> {
    const failure = await this.lockFailure(manager, request.failureId);
    if (failure?.status !== FailureStatus.RETRYING) return;
    await this.move(manager, failure, { to: FailureStatus.FAILED, action: FailureAction.RETRY_UNDELIVERABLE, note: reason.slice(0, NOTE_MAX_CHARS) }, SYSTEM_ACTOR);
  }

  /**
   * Retries whose service never answered with completeRetry within `timeoutSeconds` go back to
   * FAILED, with an audit entry saying so. Claims rows with SKIP LOCKED, so instances share it.
   * Returns how many it expired.
   */
  async expireRetries(timeoutSeconds: number, limit = 100): Promise<number> {
    const cutoff = new Date(this.now().getTime() - timeoutSeconds * 1000);
    const count = await this.options.transactions.run(async (manager) => {
      const qb = manager
        .getRepository(FailureEntity)
        .createQueryBuilder('f')
        .where('f.status = :status', { status: FailureStatus.RETRYING })
        .andWhere('f.updated_at < :cutoff', { cutoff: toDbTimestamp(cutoff) })
        .orderBy('f.updated_at', 'ASC')
        .limit(limit);
      const expired = await this.options.dialect.forUpdate(qb, true).getMany();
      const note = `no completeRetry within ${timeoutSeconds} s`;
      for (const failure of expired) {
        await this.move(manager, failure, { to: FailureStatus.FAILED, action: FailureAction.RETRY_TIMED_OUT, note }, SYSTEM_ACTOR);
      }
      return expired.length;
    });
    if (count > 0) this.options.changes.committed();
    return count;
  }

  private async actOnOne(failureId: string, act: (manager: EntityManager, failure: FailureEntity) => Promise<void>): Promise<FailureEntity> {
    const failure = await this.options.transactions.run(async (manager) => {
      const current = await this.lockFailure(manager, failureId);
      if (!current) throw new NotFoundError('Failure', failureId);
      await act(manager, current);
      return current;
    });
    this.options.changes.committed();
    return failure;
  }

  /**
   * Applies `act` to each of the group's failures in `statuses`, locked, in one transaction.
   * `act` is first called with `null` so a precondition can refuse the whole action.
   */
  private async actOnGroup(
    principal: Principal,
    groupId: string,
    statuses: FailureStatus[],
    action: FailureAction,
    note: string | null,
    act: (manager: EntityManager, failure: FailureEntity | null, group: FailureGroupEntity) => Promise<void>,
  ): Promise<{ group: FailureGroupEntity; affected: number }> {
    const result = await this.options.transactions.run(async (manager) => {
      const groupQuery = manager.getRepository(FailureGroupEntity).createQueryBuilder('g').where('g.id = :groupId', { groupId });
      const group = await this.options.dialect.forUpdate(groupQuery).getOne();
      if (!group) throw new NotFoundError('FailureGroup', groupId);
      await act(manager, null, group);
      const failureQuery = manager
        .getRepository(FailureEntity)
        .createQueryBuilder('f')
        .where('f.group_id = :groupId', { groupId })
        .andWhere('f.status IN (:...statuses)', { statuses })
        .orderBy('f.received_at', 'ASC');
      const failures = await this.options.dialect.forUpdate(failureQuery).getMany();
      for (const failure of failures) await act(manager, failure, group);
      await this.audit(manager, 'GROUP', groupId, action, principal.actor, note ? `${note} (${failures.length} failures)` : `${failures.length} failures`);
      return { groupId, affected: failures.length };
    });
    this.options.outbox.nudge();
    this.options.changes.committed();
    const group = await this.options.transactions.run((manager) => manager.getRepository(FailureGroupEntity).findOneByOrFail({ id: result.groupId }));
    return { group, affected: result.affected };
  }

  private lockFailure(manager: EntityManager, failureId: string): Promise<FailureEntity | null> {
    const qb = manager.getRepository(FailureEntity).createQueryBuilder('f').where('f.id = :failureId', { failureId });
    return this.options.dialect.forUpdate(qb).getOne();
  }

  /** The one place a failure changes status: table check, row update, group counters, audit. */
  private async move(manager: EntityManager, failure: FailureEntity, move: Move, actor: string, changes: Partial<Pick<FailureEntity, 'attempt' | 'errorMessage'>> = {}): Promise<void> {
    assertFailureTransition(failure.id, failure.status, move.to);
    const at = this.now();
    const wasOpen = isOpenFailureStatus(failure.status);
    Object.assign(failure, changes, { status: move.to, updatedAt: at });
    await manager.query('UPDATE failures SET status = ?, attempt = ?, error_message = ?, updated_at = ? WHERE id = ?', [
      failure.status,
      failure.attempt,
      failure.errorMessage,
      toDbTimestamp(at),
      failure.id,
    ]);
    const counter = STATS_COUNTER_OF[move.to];
    if (counter) {
      await this.options.stats.add(manager, [
        { groupId: failure.groupId, serviceId: failure.serviceId, taskType: failure.taskType, occurredAt: failure.occurredAt, pattern: failure.pattern, severity: failure.severity, counter, by: 1 },
      ]);
    }
    const closed = wasOpen && !isOpenFailureStatus(move.to);
    if (closed) {
      await this.options.grouping.failuresClosed(manager, failure.groupId, 1, at);
      await this.options.stats.addCloseTime(manager, failure.serviceId, failure.occurredAt, (at.getTime() - failure.receivedAt.getTime()) / 1000);
    }
    // One record per move: the failure always changed, its group's counters only when it closed.
    await this.options.changes.record(manager, { updatedFailureIds: [failure.id], ...(closed ? { groupIds: [failure.groupId] } : {}) });
    await this.audit(manager, 'FAILURE', failure.id, move.action, actor, move.note);
  }

  private async requestRetry(manager: EntityManager, failure: FailureEntity): Promise<void> {
    const service = await this.options.registry.getById(failure.serviceId, manager);
    await this.options.dispatcher.dispatch(manager, service, { requestId: randomUUID(), failureId: failure.id, serviceId: service.id, attempt: failure.attempt + 1 });
  }

  private audit(manager: EntityManager, subjectType: AuditSubjectType, subjectId: string, action: string, actor: string, note: string | null): Promise<void> {
    return this.auditLog.record(manager, { subjectType, subjectId, action, actor, note, at: this.now() });
  }
}

function requiredNote(text: string | null | undefined, field: string): string {
  const note = text?.trim();
  if (!note) throw new BadUserInputError(`A ${field} is required`, { field });
  if (note.length > NOTE_MAX_CHARS) throw new BadUserInputError(`The ${field} must be at most ${NOTE_MAX_CHARS} characters`, { field });
  return note;
}

function optionalNote(text: string | null | undefined): string | null {
  const note = text?.trim();
  if (!note) return null;
  if (note.length > NOTE_MAX_CHARS) throw new BadUserInputError(`The note must be at most ${NOTE_MAX_CHARS} characters`, { field: 'note' });
  return note;
}
