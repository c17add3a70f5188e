import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Severity } from '../failures/failure.entity';
import { Service } from '../registry';
import { ProviderName } from './escalation.port';

registerEnumType(ProviderName, { name: 'EscalationProvider', description: 'Incident platform.' });

export enum OpsgenieRegion {
  US = 'US',
  EU = 'EU',
}
registerEnumType(OpsgenieRegion, { name: 'OpsgenieRegion', description: 'Opsgenie API region.' });

@InputType({ description: 'An Opsgenie responder.' })
export class ResponderInput {
  @Field(() => String, { description: 'team, user, escalation or schedule.' })
  type: 'team' | 'user' | 'escalation' | 'schedule';

  @Field(() => String, { nullable: true, description: 'Responder id.' })
  id?: string | null;

  @Field(() => String, { nullable: true, description: 'Responder name (team, escalation, schedule).' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'User name (users).' })
  username?: string | null;
}

@InputType({ description: 'A time range during which nothing is paged.' })
export class MuteWindowInput {
  @Field(() => Date, { description: 'Start.' })
  from: Date;

  @Field(() => Date, { description: 'End (exclusive).' })
  to: Date;

  @Field(() => String, { nullable: true, description: 'Why (maintenance, …).' })
  reason?: string | null;
}

@ObjectType({ description: 'A time range during which nothing is paged.' })
export class MuteWindow {
  @Field(() => Date, { description: 'Start.' })
  from: Date;

  @Field(() => Date, { description: 'End (exclusive).' })
  to: Date;

  @Field(() => String, { nullable: true, description: 'Why.' })
  reason: string | null;
}

@InputType({ description: "When and how to page for a service's failures (no service: the global default)." })
export class EscalationPolicyInput {
  @Field(() => String, { nullable: true, description: 'Service name; omit for the global default policy.' })
  service?: string | null;

  @Field(() => ProviderName, { description: 'Where to page.' })
  provider: ProviderName;

  @Field(() => String, { nullable: true, description: 'PagerDuty Events API v2 routing key (32 characters). Stored encrypted, never returned.' })
  routingKey?: string | null;

  @Field(() => String, { nullable: true, description: 'Opsgenie API key. Stored encrypted, never returned.' })
  apiKey?: string | null;

  @Field(() => OpsgenieRegion, { nullable: true, description: 'Opsgenie region (default US).' })
  region?: OpsgenieRegion | null;

  @Field(() => [ResponderInput], { nullable: true, description: 'Opsgenie responders.' })
  responders?: ResponderInput[] | null;

  @Field(() => Severity, { defaultValue: Severity.ERROR, description: 'Failures below this severity never page.' })
  minSeverity: Severity;

  @Field(() => Int, { defaultValue: 5, description: 'Failures of one group within the window that page (a CRITICAL one pages at once).' })
  thresholdCount: number;

  @Field(() => Int, { defaultValue: 300, description: 'The threshold window, in seconds.' })
  thresholdWindowSeconds: number;

  @Field(() => Int, { defaultValue: 30, description: 'Wait this long after the threshold is met before the first page (collects the burst).' })
  groupWaitSeconds: number;

  @Field(() => Int, { defaultValue: 3600, description: 'Page again this often while an unacknowledged incident keeps failing.' })
  repeatIntervalSeconds: number;

  @Field(() => Int, { defaultValue: 1800, description: 'Resolve the incident after this long without a new failure.' })
  quietPeriodSeconds: number;

  @Field(() => Int, { defaultValue: 300, description: 'Keep the incident open this long after its group resolves, so a flapping group does not page each time.' })
  flapWindowSeconds: number;

  @Field(() => [MuteWindowInput], { nullable: true, description: 'Times during which nothing is paged.' })
  muteWindows?: MuteWindowInput[] | null;
}

@ObjectType({ description: 'An escalation policy. Credentials are never returned.' })
export class EscalationPolicy {
  @Field(() => ID, { description: 'Stable identifier.' })
  id: string;

  @Field(() => Service, { nullable: true, description: 'The service; null for the global default.' })
  service: Service | null;

  @Field(() => ProviderName, { description: 'Where to page.' })
  provider: ProviderName;

  @Field(() => Boolean, { description: 'Whether credentials are stored.' })
  hasCredentials: boolean;

  @Field(() => OpsgenieRegion, { nullable: true, description: 'Opsgenie region.' })
  region: OpsgenieRegion | null;

  @Field(() => Severity, { description: 'Failures below this severity never page.' })
  minSeverity: Severity;

  @Field(() => Int, { description: 'Failures within the window that page.' })
  thresholdCount: number;

  @Field(() => Int, { description: 'Threshold window in seconds.' })
  thresholdWindowSeconds: number;

  @Field(() => Int, { description: 'Group wait in seconds.' })
  groupWaitSeconds: number;

  @Field(() => Int, { description: 'Repeat interval in seconds.' })
  repeatIntervalSeconds: number;

  @Field(() => Int, { description: 'Auto-resolve quiet period in seconds.' })
  quietPeriodSeconds: number;

  @Field(() => Int, { description: 'Flap window in seconds.' })
  flapWindowSeconds: number;

  @Field(() => [MuteWindow], { description: 'Times during which nothing is paged.' })
  muteWindows: MuteWindow[];

  @Field(() => Date, { description: 'Last change.' })
  updatedAt: Date;
}
