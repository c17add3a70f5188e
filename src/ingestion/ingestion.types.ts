import { GraphQLJSON, GraphQLJSONObject } from 'graphql-scalars';
import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { Failure } from '../failures/failure.types';
import { Severity, TaskPattern } from '../failures/failure.entity';

@InputType({ description: 'One failed execution of one task, as a service reports it.' })
export class FailureReportInput {
  @Field(() => String, { description: 'Name of the reporting service (a REPORTER token may only name its own).' })
  service: string;

  @Field(() => String, { description: 'Kind of task, e.g. "send-invoice-email" (at most 200 characters).' })
  taskType: string;

  @Field(() => String, { description: "The task's id in the reporting service (at most 255 characters)." })
  taskId: string;

  @Field(() => TaskPattern, { defaultValue: TaskPattern.OTHER, description: 'How the task was run.' })
  pattern: TaskPattern;

  @Field(() => String, { nullable: true, description: 'Queue, topic or table the task came from.' })
  source?: string | null;

  @Field(() => Int, { defaultValue: 1, description: 'Execution attempt that failed, from 1.' })
  attempt: number;

  @Field(() => String, { description: 'Error type or exception class.' })
  errorType: string;

  @Field(() => String, { description: 'Error message; over 8 KiB it is truncated with a marker.' })
  errorMessage: string;

  @Field(() => String, { nullable: true, description: 'Stack trace; over 32 KiB it is truncated with a marker.' })
  stackTrace?: string | null;

  @Field(() => Severity, { defaultValue: Severity.ERROR, description: 'How bad the failure is.' })
  severity: Severity;

  @Field(() => Date, { nullable: true, description: 'When the task failed; default now; a time in the future is taken as now.' })
  occurredAt?: Date | null;

  @Field(() => GraphQLJSON, { nullable: true, description: 'Task payload (JSON); redacted, then at most 64 KiB or PAYLOAD_TOO_LARGE.' })
  payload?: unknown;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Flat map of string values (host, version, region, …); at most 50 kept.' })
  attributes?: Record<string, unknown> | null;

  @Field(() => String, { nullable: true, description: 'Deduplication key; default service + taskId + attempt.' })
  idempotencyKey?: string | null;

  @Field(() => String, { nullable: true, description: 'Overrides the computed grouping: failures with the same value group together.' })
  fingerprint?: string | null;
}

@ObjectType({ description: 'Outcome of a batch report.' })
export class ReportFailuresPayload {
  @Field(() => Int, { description: 'Reports stored as new failures.' })
  accepted: number;

  @Field(() => Int, { description: 'Reports that repeated an idempotency key already stored (or earlier in the batch).' })
  duplicates: number;

  @Field(() => [Failure], { description: 'The stored failure for each report, in input order (the existing one for a duplicate).' })
  failures: Failure[];
}
