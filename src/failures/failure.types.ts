import { GraphQLJSON, GraphQLJSONObject } from 'graphql-scalars';
import { ArgsType, Directive, Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { FailureGroupStatus } from '../grouping/failure-group.entity';
import { Service } from '../registry';
import { Severity, TaskPattern } from './failure.entity';
import { FailureStatus } from './failure.state';

registerEnumType(TaskPattern, { name: 'TaskPattern', description: 'How the failed task was run.' });
registerEnumType(Severity, { name: 'Severity', description: 'How bad the failure is, as the reporter judged it.' });
registerEnumType(FailureStatus, { name: 'FailureStatus', description: 'Lifecycle of one failure: FAILED → RETRYING → SUCCEEDED | FAILED; FAILED → DISCARDED | RESOLVED.' });
registerEnumType(FailureGroupStatus, { name: 'FailureGroupStatus', description: 'Lifecycle of an error pattern.' });

export enum FailureGroupOrder {
  LAST_SEEN = 'LAST_SEEN',
  FIRST_SEEN = 'FIRST_SEEN',
  COUNT = 'COUNT',
  /** The escalation rank score, the same one incidents use. */
  RANK = 'RANK',
}
registerEnumType(FailureGroupOrder, { name: 'FailureGroupOrder', description: 'Sort order of failureGroups (always descending).' });

@ObjectType({ description: 'One action taken on a failure, as audited.' })
export class HistoryEntry {
  @Field(() => String, { description: 'What was done: REPORTED, RETRY_REQUESTED, RETRY_SUCCEEDED, RETRY_FAILED, DISCARDED, RESOLVED, …' })
  action: string;

  @Field(() => String, { description: 'Who did it: a token label, a service, or the system.' })
  actor: string;

  @Field(() => String, { nullable: true, description: 'Why, or what came of it.' })
  note: string | null;

  @Field(() => Date, { description: 'When.' })
  at: Date;
}

@Directive('@key(fields: "id")')
@ObjectType({ description: 'An error pattern: the failures that share one fingerprint.' })
export class FailureGroup {
  @Field(() => ID, { description: 'Stable identifier, derived from the fingerprint.' })
  id: string;

  @Field(() => String, { description: 'sha256 of service, task type, error type, normalised message and top frames (or of the reporter-supplied fingerprint).' })
  fingerprint: string;

  @Field(() => Service, { description: 'The reporting service.' })
  service: Service;

  @Field(() => String, { description: 'Task type of the failures.' })
  taskType: string;

  @Field(() => String, { description: 'Error type (exception class) of the failures.' })
  errorType: string;

  @Field(() => String, { description: 'The error message with variable parts replaced by placeholders such as <num> and <uuid>.' })
  messageTemplate: string;

  @Field(() => FailureGroupStatus, { description: 'OPEN, ACKNOWLEDGED, RESOLVED (nothing left open) or MUTED.' })
  status: FailureGroupStatus;

  @Field(() => Boolean, { description: 'True once a failure arrived after the group had been resolved.' })
  regressed: boolean;

  @Field(() => Int, { description: 'Failures ever stored in the group.' })
  count: number;

  @Field(() => Int, { description: 'Failures of the group still FAILED or RETRYING.' })
  openCount: number;

  @Field(() => Date, { description: 'Occurrence time of the earliest failure.' })
  firstSeenAt: Date;

  @Field(() => Date, { description: 'Occurrence time of the latest failure.' })
  lastSeenAt: Date;

  @Field(() => Date, { nullable: true, description: 'When the group last became RESOLVED.' })
  resolvedAt: Date | null;

  @Field(() => Float, { description: 'Escalation rank score 0–100 from the last evaluation (see Incident.rankReasons).' })
  rankScore: number;
}

@ObjectType({ description: 'One failed execution of one asynchronous task.' })
export class Failure {
  @Field(() => ID, { description: 'Stable identifier.' })
  id: string;

  @Field(() => Service, { description: 'The reporting service.' })
  service: Service;

  @Field(() => String, { description: 'Kind of task, e.g. "send-invoice-email".' })
  taskType: string;

  @Field(() => String, { description: "The task's own id in the reporting service (message id, row id, event id)." })
  taskId: string;

  @Field(() => TaskPattern, { description: 'How the task was run.' })
  pattern: TaskPattern;

  @Field(() => String, { nullable: true, description: 'Queue, topic or table the task came from.' })
  source: string | null;

  @Field(() => FailureStatus, { description: 'Where the failure is in its lifecycle.' })
  status: FailureStatus;

  @Field(() => Int, { description: 'Execution attempt that failed, from 1; a failed retry increments it.' })
  attempt: number;

  @Field(() => Severity, { description: 'Severity reported.' })
  severity: Severity;

  @Field(() => String, { description: 'Error type or exception class.' })
  errorType: string;

  @Field(() => String, { description: 'Error message (secrets redacted, at most 8 KiB).' })
  errorMessage: string;

  @Field(() => String, { nullable: true, description: 'Stack trace (secrets redacted, at most 32 KiB).' })
  stackTrace: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: 'The task payload, redacted.' })
  payload: unknown;

  @Field(() => GraphQLJSONObject, { description: 'Flat string map of attributes (host, version, region, …), redacted.' })
  attributes: Record<string, string>;

  @Field(() => String, { description: 'The key reports are deduplicated on.' })
  idempotencyKey: string;

  @Field(() => Date, { description: 'When the task failed (reporter clock; never later than receivedAt).' })
  occurredAt: Date;

  @Field(() => Date, { description: 'When Failure Desk stored the report.' })
  receivedAt: Date;

  @Field(() => Date, { description: 'Last status change.' })
  updatedAt: Date;

  @Field(() => FailureGroup, { description: 'The error pattern this failure belongs to.' })
  group: FailureGroup;

  @Field(() => [HistoryEntry], { description: 'Every action on this failure, oldest first.' })
  history: HistoryEntry[];
}

@InputType({ description: 'Which failures to list; every field narrows the result.' })
export class FailureFilter {
  @Field(() => String, { nullable: true, description: 'Service name.' })
  service?: string | null;

  @Field(() => [FailureStatus], { nullable: true, description: 'Any of these statuses.' })
  status?: FailureStatus[] | null;

  @Field(() => TaskPattern, { nullable: true, description: 'Task pattern.' })
  pattern?: TaskPattern | null;

  @Field(() => String, { nullable: true, description: 'Task type, exactly.' })
  taskType?: string | null;

  @Field(() => [Severity], { nullable: true, description: 'Any of these severities.' })
  severity?: Severity[] | null;

  @Field(() => ID, { nullable: true, description: 'Failure group id.' })
  group?: string | null;

  @Field(() => Date, { nullable: true, description: 'occurredAt at or after this time.' })
  occurredFrom?: Date | null;

  @Field(() => Date, { nullable: true, description: 'occurredAt before this time.' })
  occurredTo?: Date | null;

  @Field(() => String, { nullable: true, description: 'Text contained in the error message (case-insensitive).' })
  errorMessage?: string | null;
}

@InputType({ description: 'Which failure groups to list.' })
export class FailureGroupFilter {
  @Field(() => String, { nullable: true, description: 'Service name.' })
  service?: string | null;

  @Field(() => [FailureGroupStatus], { nullable: true, description: 'Any of these statuses.' })
  status?: FailureGroupStatus[] | null;

  @Field(() => String, { nullable: true, description: 'Task type, exactly.' })
  taskType?: string | null;

  @Field(() => String, { nullable: true, description: 'Error type, exactly.' })
  errorType?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Only regressed (true) or not regressed (false) groups.' })
  regressed?: boolean | null;

  @Field(() => Date, { nullable: true, description: 'lastSeenAt at or after this time.' })
  lastSeenFrom?: Date | null;

  @Field(() => Date, { nullable: true, description: 'lastSeenAt before this time.' })
  lastSeenTo?: Date | null;

  @Field(() => String, { nullable: true, description: 'Text contained in the message template (case-insensitive).' })
  messageTemplate?: string | null;
}

@ObjectType({ description: 'Relay page information.' })
export class PageInfo {
  @Field(() => Boolean, { description: 'More items follow the last edge.' })
  hasNextPage: boolean;

  @Field(() => Boolean, { description: 'Always false: lists page forward only.' })
  hasPreviousPage: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the first edge.' })
  startCursor: string | null;

  @Field(() => String, { nullable: true, description: 'Cursor of the last edge; pass it as "after" for the next page.' })
  endCursor: string | null;
}

@ObjectType({ description: 'A failure in a page.' })
export class FailureEdge {
  @Field(() => String, { description: 'Opaque position of this edge.' })
  cursor: string;

  @Field(() => Failure, { description: 'The failure.' })
  node: Failure;
}

@ObjectType({ description: 'A page of failures, newest received first.' })
export class FailureConnection {
  @Field(() => [FailureEdge], { description: 'The failures of this page.' })
  edges: FailureEdge[];

  @Field(() => PageInfo, { description: 'Where this page stands.' })
  pageInfo: PageInfo;

  @Field(() => Int, { description: 'Failures matching the filter, across all pages.' })
  totalCount: number;
}

@ObjectType({ description: 'A failure group in a page.' })
export class FailureGroupEdge {
  @Field(() => String, { description: 'Opaque position of this edge.' })
  cursor: string;

  @Field(() => FailureGroup, { description: 'The group.' })
  node: FailureGroup;
}

@ObjectType({ description: 'A page of failure groups.' })
export class FailureGroupConnection {
  @Field(() => [FailureGroupEdge], { description: 'The groups of this page.' })
  edges: FailureGroupEdge[];

  @Field(() => PageInfo, { description: 'Where this page stands.' })
  pageInfo: PageInfo;

  @Field(() => Int, { description: 'Groups matching the filter, across all pages.' })
  totalCount: number;
}

@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: 'Page size (default 20, at most the configured maximum).' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Cursor after which the page starts.' })
  after?: string | null;
}

@ObjectType({ description: 'What a group action did.' })
export class GroupActionResult {
  @Field(() => FailureGroup, { description: 'The group after the action.' })
  group: FailureGroup;

  @Field(() => Int, { description: 'Failures the action changed.' })
  affected: number;
}
