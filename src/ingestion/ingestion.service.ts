import type { DataSource, EntityManager } from 'typeorm';
import { In } from 'typeorm';
import { type Principal, requireServiceAccess } from '../auth';
import type { ChangeLog } from '../failures/change-log';
import type { AttributeObservation, AttributeStatsWriter, PreparedAttributes } from '../insights/attribute-stats';
import type { MinuteStatsWriter } from '../insights/minute-stats';
import { FailureEntity, SEVERITY_RANK } from '../failures/failure.entity';
import { FailureStatus } from '../failures/failure.state';
import type { GroupIncrement, GroupingService } from '../grouping/grouping.service';
import { type Dialect, settleAll, type TransactionRunner } from '../platform/db';
import { AppError, BadUserInputError } from '../platform/errors';
import type { AppMetrics } from '../platform/metrics';
import type { ServiceEntity, ServiceRegistry } from '../registry';
import type { RedactionOptions } from './redaction';
import { failureInsert } from './failure-insert';
import { GroupCommit } from './group-commit';
import { REPORT_LIMITS } from './report-limits';
import { type PreparedReport, type RawReport, prepareReport } from './report-normalizer';

export interface IngestionResult {
  accepted: number;
  duplicates: number;
  /** One per report, in input order; a duplicate maps to the failure stored first. */
  failures: FailureEntity[];
  /** Only the failures this call stored. */
  stored: FailureEntity[];
}

export interface IngestionServiceOptions {
  dataSource: DataSource;
  dialect: Dialect;
  transactions: TransactionRunner;
  registry: ServiceRegistry;
  grouping: GroupingService;
  metrics: AppMetrics;
  redaction: RedactionOptions;
  changes: ChangeLog;
  stats: MinuteStatsWriter;
  attributes: AttributeStatsWriter;
  now?: () => Date;
}

const INSERT_CHUNK = 500;
/** Ingestion transactions in flight at once on MySQL (and the size of their pool). */
export const MYSQL_CONCURRENT_COMMITS = 4;
/**
 * Accepts failure reports: validates, redacts and bounds them, drops repeats of an idempotency
 * key, and stores the failures and their group counters in one transaction.
 */
export class IngestionService {
  private readonly now: () => Date;
  private readonly commits: GroupCommit<PreparedReport, Map<string, FailureEntity>>;

  constructor(private readonly options: IngestionServiceOptions) {
    this.now = options.now ?? (() => new Date());
    // SQLite runs one transaction at a time anyway. On MySQL another write starts beside those in
    // flight once an INSERT's worth of reports waits: joined to more, it would cost the same
    // statements and only wait longer, while the database could run it on another core.
    this.commits = new GroupCommit((reports) => this.commit(reports), options.dialect.engine === 'mysql' ? MYSQL_CONCURRENT_COMMITS : 1, REPORT_LIMITS.batchSize, INSERT_CHUNK);
  }

  async report(principal: Principal, reports: RawReport[], asBatch: boolean): Promise<IngestionResult> {
    try {
      const result = await this.store(principal, reports, asBatch);
      if (result.accepted) this.options.metrics.reports.inc({ outcome: 'accepted', reason: '' }, result.accepted);
      if (result.duplicates) this.options.metrics.reports.inc({ outcome: 'duplicate', reason: '' }, result.duplicates);
      return result;
    } catch (error) {
      const reason = error instanceof AppError ? error.code : 'INTERNAL_SERVER_ERROR';
      this.options.metrics.reports.inc({ outcome: 'rejected', reason }, Math.max(1, reports.length));
      throw error;
    }
  }

  private async store(principal: Principal, reports: RawReport[], asBatch: boolean): Promise<IngestionResult> {
    if (reports.length > REPORT_LIMITS.batchSize) {
      throw new BadUserInputError(`A batch may hold at most ${REPORT_LIMITS.batchSize} reports (got ${reports.length})`, { limit: REPORT_LIMITS.batchSize });
    }
    if (reports.length === 0) return { accepted: 0, duplicates: 0, failures: [], stored: [] };
    const services = await this.resolveServices(principal, reports);
    const receivedAt = this.now();
    const prepared = reports.map((raw, i) =>
      prepareReport(raw, services.get(raw.service)!.id, this.options.redaction, receivedAt, asBatch ? i : undefined),
    );

    // Repeats inside the batch collapse onto their first occurrence before touching the database.
    const firstByKey = new Map<string, PreparedReport>();
    for (const report of prepared) {
      const key = dedupKey(report.serviceId, report.idempotencyKey);
      if (!firstByKey.has(key)) firstByKey.set(key, report);
    }
    const candidates = [...firstByKey.values()];

    // Concurrent callers may share one transaction; the key → failure map covers all of them.
    const byKey = await this.commits.submit(candidates);
    const stored = candidates.filter((c) => byKey.get(dedupKey(c.serviceId, c.idempotencyKey))!.id === c.id).map((c) => byKey.get(dedupKey(c.serviceId, c.idempotencyKey))!);
    return {
      accepted: stored.length,
      duplicates: reports.length - stored.length,
      failures: prepared.map((r) => byKey.get(dedupKey(r.serviceId, r.idempotencyKey))!),
      stored,
    };
  }

  /** One transaction for the reports of one or more callers; answers which failure each key has now. */
  private async commit(reports: PreparedReport[]): Promise<Map<string, FailureEntity>> {
    // A key sent by two callers of one commit counts for the first, as it would one after the other.
    const firstByKey = new Map<string, PreparedReport>();
    for (const report of reports) {
      const key = dedupKey(report.serviceId, report.idempotencyKey);
      if (!firstByKey.has(key)) firstByKey.set(key, report);
    }
    const { stored, existing } = await this.options.transactions.runPipelined((manager, commit) => this.write(manager, [...firstByKey.values()], commit));
    if (stored.length > 0) this.options.changes.committed();
    const byKey = new Map<string, FailureEntity>();
    for (const failure of [...stored, ...existing]) byKey.set(dedupKey(failure.serviceId, failure.idempotencyKey), failure);
    return byKey;
  }

  private async resolveServices(principal: Principal, reports: RawReport[]): Promise<Map<string, ServiceEntity>> {
    const services = new Map<string, ServiceEntity>();
    for (const name of new Set(reports.map((r) => r.service))) {
      const service = await this.options.registry.getByName(name);
      requireServiceAccess(principal, service.id, service.name);
      services.set(name, service);
    }
    return services;
  }

  /**
   * The statements that do not depend on each other are issued side by side, so on MySQL they
   * travel in few round trips (TransactionRunner.runPipelined) instead of one each: the failure
   * rows with START TRANSACTION (and a read of attribute values not cached yet), then the group,
   * rollup and outbox writes with the COMMIT, so the rows they lock are held no longer than the
   * database takes to run them.
   */
  private async write(manager: EntityManager, candidates: PreparedReport[], commit: () => Promise<void>): Promise<{ stored: FailureEntity[]; existing: FailureEntity[] }> {
    const groupIds = new Map<string, string>();
    for (const { fingerprint } of candidates) if (!groupIds.has(fingerprint)) groupIds.set(fingerprint, this.options.grouping.groupIdFor(fingerprint));
    const chunks: PreparedReport[][] = [];
    for (let i = 0; i < candidates.length; i += INSERT_CHUNK) chunks.push(candidates.slice(i, i + INSERT_CHUNK));
    // The attribute rollup's merge (and any read it needs) goes with the inserts, for all
    // candidates: all are stored in the common case; otherwise it is done again for those that are.
    const observations = (reports: PreparedReport[]) => reports.map((r) => this.observation(r, groupIds));
    const [attributes, ...insertedCounts] = await settleAll<unknown>([
      this.options.attributes.prepare(manager, observations(candidates)),
      ...chunks.map((chunk) => this.insertIgnoringDuplicates(manager, chunk, groupIds)),
    ]);
    const inserted = (insertedCounts as number[]).reduce((sum, n) => sum + n, 0);

    // Every row went in (the common case): all are ours. Otherwise, a row whose id is the one we
    // generated was inserted by this transaction; the others were there before.
    let storedReports = candidates;
    let stats = attributes as PreparedAttributes;
    let existing: FailureEntity[] = [];
    if (inserted !== candidates.length) {
      const present = await this.findByKeys(manager, candidates);
      const ourIds = new Set(candidates.map((c) => c.id));
      const storedIds = new Set(present.filter((row) => ourIds.has(row.id)).map((row) => row.id));
      storedReports = candidates.filter((c) => storedIds.has(c.id));
      existing = present.filter((row) => !ourIds.has(row.id));
      stats = await this.options.attributes.prepare(manager, observations(storedReports));
    }

    const increments = this.increments(storedReports, groupIds);
    const statements: Array<Promise<unknown>> = [
      ...this.options.grouping.issueRecordFailures(manager, increments),
      this.options.stats.add(
        manager,
        storedReports.map((r) => ({
          groupId: groupIds.get(r.fingerprint)!,
          serviceId: r.serviceId,
          taskType: r.taskType,
          occurredAt: r.occurredAt,
          pattern: r.pattern,
          severity: r.severity,
          counter: 'reported' as const,
          by: 1,
        })),
      ),
      ...this.options.attributes.write(manager, stats),
    ];
    if (storedReports.length > 0) {
      statements.push(this.options.changes.record(manager, { reportedFailureIds: storedReports.map((r) => r.id), groupIds: increments.map((i) => i.groupId) }));
    }
    // Everything above is issued (nothing was awaited since): COMMIT goes with it.
    statements.push(commit());
    await settleAll(statements);
    return { stored: storedReports.map((r) => toEntity(r, groupIds.get(r.fingerprint)!)), existing };
  }

  private observation(r: PreparedReport, groupIds: Map<string, string>): AttributeObservation {
    return { groupId: groupIds.get(r.fingerprint)!, serviceId: r.serviceId, occurredAt: r.occurredAt, attributesJson: r.attributesJson, source: r.source };
  }

  /** Returns how many rows went in (the others repeated a key already stored). */
  private async insertIgnoringDuplicates(manager: EntityManager, rows: PreparedReport[], groupIds: Map<string, string>): Promise<number> {
    const { sql, params } = failureInsert(this.options.dialect, rows, groupIds);
    const result = await manager.queryRunner!.query(sql, params, true);
    return result.affected ?? 0;
  }

  /** The failures stored under the candidates' keys, ours and those that were there before. */
  private async findByKeys(manager: EntityManager, candidates: PreparedReport[]): Promise<FailureEntity[]> {
    const keysByService = new Map<string, string[]>();
    for (const c of candidates) keysByService.set(c.serviceId, [...(keysByService.get(c.serviceId) ?? []), c.idempotencyKey]);
    const found: FailureEntity[] = [];
    for (const [serviceId, keys] of keysByService) {
      for (let i = 0; i < keys.length; i += INSERT_CHUNK) found.push(...(await this.readLatest(manager, serviceId, keys.slice(i, i + INSERT_CHUNK))));
    }
    return found;
  }

  /**
   * On MySQL a locking read (shared, as the INSERT IGNORE's duplicate check already holds: no
   * lock upgrade for two transactions to deadlock on), which sees the latest committed rows: a
   * key that our INSERT IGNORE skipped may belong to a transaction that committed after ours
   * took its snapshot (at the attribute read that travels with the INSERT), which a plain read
   * would not see. LOCK IN SHARE MODE by hand: TypeORM writes FOR SHARE, which MariaDB refuses.
   */
  private async readLatest(manager: EntityManager, serviceId: string, keys: string[]): Promise<FailureEntity[]> {
    if (this.options.dialect.engine !== 'mysql') return manager.getRepository(FailureEntity).findBy({ serviceId, idempotencyKey: In(keys) });
    const rows: Array<Record<string, unknown>> = await manager.query(
      `SELECT * FROM failures WHERE service_id = ? AND idempotency_key IN (${keys.map(() => '?').join(', ')}) LOCK IN SHARE MODE`,
      [serviceId, ...keys],
    );
    const { columns } = manager.connection.getMetadata(FailureEntity);
    const driver = manager.connection.driver;
    return rows.map((row) => {
      const failure = new FailureEntity();
      for (const column of columns) column.setEntityValue(failure, driver.prepareHydratedValue(row[column.databaseName], column));
      return failure;
    });
  }

  private increments(stored: PreparedReport[], groupIds: Map<string, string>): GroupIncrement[] {
    const byFingerprint = new Map<string, GroupIncrement>();
    for (const r of stored) {
      const current = byFingerprint.get(r.fingerprint);
      if (current) {
        current.count += 1;
        current.maxSeverity = Math.max(current.maxSeverity, SEVERITY_RANK[r.severity]);
        if (r.occurredAt < current.firstSeenAt) current.firstSeenAt = r.occurredAt;
        if (r.occurredAt > current.lastSeenAt) current.lastSeenAt = r.occurredAt;
        continue;
      }
      byFingerprint.set(r.fingerprint, {
        groupId: groupIds.get(r.fingerprint)!,
        serviceId: r.serviceId,
        fingerprint: r.fingerprint,
        taskType: r.taskType,
        errorType: r.errorType,
        messageTemplate: r.messageTemplate,
        count: 1,
        maxSeverity: SEVERITY_RANK[r.severity],
        firstSeenAt: r.occurredAt,
        lastSeenAt: r.occurredAt,
      });
    }
    return [...byFingerprint.values()];
  }
}

function dedupKey(serviceId: string, idempotencyKey: string): string {
  return `${serviceId}\u0000${idempotencyKey}`;
}

function toEntity(r: PreparedReport, groupId: string): FailureEntity {
  return Object.assign(new FailureEntity(), {
    id: r.id,
    serviceId: r.serviceId,
    groupId,
    idempotencyKey: r.idempotencyKey,
    taskType: r.taskType,
    taskId: r.taskId,
    pattern: r.pattern,
    source: r.source,
    status: FailureStatus.FAILED,
    attempt: r.attempt,
    severity: r.severity,
    errorType: r.errorType,
    errorMessage: r.errorMessage,
    stackTrace: r.stackTrace,
    payloadJson: r.payloadJson,
    attributesJson: r.attributesJson,
    occurredAt: r.occurredAt,
    receivedAt: r.receivedAt,
    updatedAt: r.receivedAt,
  });
}
