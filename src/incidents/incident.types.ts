import { Directive, Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { FailureGroup, HistoryEntry, PageInfo } from '../failures/failure.types';
import { Severity } from '../failures/failure.entity';
import { Service } from '../registry';
import { IncidentStatus } from './incident.state';

registerEnumType(IncidentStatus, { name: 'IncidentStatus', description: 'TRIGGERED → ACKNOWLEDGED → RESOLVED (or TRIGGERED → RESOLVED).' });

@ObjectType({ description: 'One attempt to tell the incident platform about an incident.' })
export class IncidentDelivery {
  @Field(() => String, { description: 'TRIGGER, ACKNOWLEDGE or RESOLVE.' })
  action: string;

  @Field(() => String, { description: 'DELIVERED, RETRYING (failed, will be tried again) or FAILED (given up).' })
  status: string;

  @Field(() => Int, { nullable: true, description: 'HTTP status the provider answered, if it answered.' })
  httpStatus: number | null;

  @Field(() => String, { nullable: true, description: "The provider's error text, or the network error." })
  error: string | null;

  @Field(() => Date, { description: 'When.' })
  at: Date;
}

@Directive('@key(fields: "id")')
@ObjectType({ description: 'What was escalated for a failure group, and what became of it.' })
export class Incident {
  @Field(() => ID, { description: 'Stable identifier.' })
  id: string;

  @Field(() => FailureGroup, { description: 'The error pattern that was escalated.' })
  group: FailureGroup;

  @Field(() => Service, { description: 'The reporting service.' })
  service: Service;

  @Field(() => IncidentStatus, { description: 'Where the incident is in its lifecycle.' })
  status: IncidentStatus;

  @Field(() => Severity, { description: 'Severity, from the rank score (see README, "Severity mapping").' })
  severity: Severity;

  @Field(() => Float, { description: 'Rank score 0–100.' })
  rankScore: number;

  @Field(() => [String], { description: 'Why the score is what it is, one reason per line.' })
  rankReasons: string[];

  @Field(() => String, { description: 'PAGERDUTY or OPSGENIE.' })
  provider: string;

  @Field(() => String, { description: 'PagerDuty dedup_key / Opsgenie alias of the alert.' })
  externalKey: string;

  @Field(() => Int, { description: 'Failures in the group (kept current while the incident is open).' })
  failureCount: number;

  @Field(() => String, { nullable: true, description: 'The last delivery error, if the provider refused or could not be reached.' })
  deliveryError: string | null;

  @Field(() => Date, { description: 'When it was triggered.' })
  triggeredAt: Date;

  @Field(() => Date, { nullable: true, description: 'When it was acknowledged.' })
  acknowledgedAt: Date | null;

  @Field(() => String, { nullable: true, description: 'Who acknowledged it (an operator, or the pager user).' })
  acknowledgedBy: string | null;

  @Field(() => Date, { nullable: true, description: 'When it was resolved.' })
  resolvedAt: Date | null;

  @Field(() => String, { nullable: true, description: 'Who or what resolved it.' })
  resolvedBy: string | null;

  @Field(() => [IncidentDelivery], { description: 'Every delivery attempt, oldest first.' })
  deliveries: IncidentDelivery[];

  @Field(() => [HistoryEntry], { description: 'Audit trail, oldest first.' })
  history: HistoryEntry[];
}

@InputType({ description: 'Which incidents to list.' })
export class IncidentFilter {
  @Field(() => String, { nullable: true, description: 'Service name.' })
  service?: string | null;

  @Field(() => [IncidentStatus], { nullable: true, description: 'Any of these statuses.' })
  status?: IncidentStatus[] | null;

  @Field(() => [Severity], { nullable: true, description: 'Any of these severities.' })
  severity?: Severity[] | null;

  @Field(() => ID, { nullable: true, description: 'Failure group id.' })
  group?: string | null;

  @Field(() => Date, { nullable: true, description: 'Triggered at or after.' })
  triggeredFrom?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Triggered before.' })
  triggeredTo?: Date | null;
}

@ObjectType({ description: 'An incident in a page.' })
export class IncidentEdge {
  @Field(() => String, { description: 'Opaque position of this edge.' })
  cursor: string;

  @Field(() => Incident, { description: 'The incident.' })
  node: Incident;
}

@ObjectType({ description: 'A page of incidents, newest first.' })
export class IncidentConnection {
  @Field(() => [IncidentEdge], { description: 'The incidents of this page.' })
  edges: IncidentEdge[];

  @Field(() => PageInfo, { description: 'Where this page stands.' })
  pageInfo: PageInfo;

  @Field(() => Int, { description: 'Incidents matching the filter.' })
  totalCount: number;
}
