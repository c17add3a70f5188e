import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Failure } from '../failures/failure.types';
import { Severity, TaskPattern } from '../failures/failure.entity';
import { FailureGroupStatus } from '../grouping/failure-group.entity';
import { Incident } from '../incidents/incident.types';

@InputType({ description: 'Which failures a live feed (failureReported, failureUpdated) shows; every field narrows it.' })
export class LiveFailureFilter {
  @Field(() => ID, { nullable: true, description: 'One failure.' })
  id?: string | null;

  @Field(() => String, { nullable: true, description: 'Service name.' })
  service?: string | null;

  @Field(() => TaskPattern, { nullable: true, description: 'Task pattern.' })
  pattern?: TaskPattern | null;

  @Field(() => String, { nullable: true, description: 'Task type, exactly.' })
  taskType?: string | null;

  @Field(() => [Severity], { nullable: true, description: 'Any of these severities.' })
  severity?: Severity[] | null;

  @Field(() => Severity, { nullable: true, description: 'This severity or worse (CRITICAL is the worst).' })
  minSeverity?: Severity | null;

  @Field(() => ID, { nullable: true, description: 'Failure group id.' })
  group?: string | null;

  @Field(() => String, { nullable: true, description: 'Text contained in the error message (case-insensitive).' })
  errorMessage?: string | null;
}

@InputType({ description: 'Which group updates a live feed shows.' })
export class LiveFailureGroupFilter {
  @Field(() => String, { nullable: true, description: 'Service name.' })
  service?: string | null;

  @Field(() => ID, { nullable: true, description: 'One group.' })
  id?: string | null;

  @Field(() => [FailureGroupStatus], { nullable: true, description: 'Any of these statuses.' })
  status?: FailureGroupStatus[] | null;
}

@InputType({ description: 'Which incident updates a live feed shows.' })
export class LiveIncidentFilter {
  @Field(() => String, { nullable: true, description: 'Service name.' })
  service?: string | null;

  @Field(() => Severity, { nullable: true, description: 'This severity or worse.' })
  minSeverity?: Severity | null;
}

@ObjectType({ description: 'A retry the owning service should run, then answer with completeRetry.' })
export class RetryRequest {
  @Field(() => ID, { description: 'Identifies this request; the same on a repeated delivery.' })
  requestId: string;

  @Field(() => Int, { description: 'The attempt number this retry is.' })
  attempt: number;

  @Field(() => Date, { description: 'When the request was sent.' })
  requestedAt: Date;

  @Field(() => Failure, { description: 'The failure to retry, payload included.' })
  failure: Failure;
}

@ObjectType({ description: 'An incident changed state (filled by escalation).' })
export class IncidentUpdate {
  @Field(() => ID, { description: 'The incident.' })
  incidentId: string;

  @Field(() => ID, { description: 'Its failure group.' })
  groupId: string;

  @Field(() => String, { description: 'TRIGGERED, ACKNOWLEDGED or RESOLVED.' })
  status: string;

  @Field(() => Severity, { description: 'Severity of the incident.' })
  severity: Severity;

  @Field(() => String, { nullable: true, description: 'The last delivery error: the page did not reach the provider.' })
  deliveryError: string | null;

  @Field(() => Date, { description: 'When it changed.' })
  at: Date;

  @Field(() => Incident, { description: 'The incident as it is now.' })
  incident: Incident;
}
