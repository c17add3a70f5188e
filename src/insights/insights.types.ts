import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import { FailureGroup } from '../failures/failure.types';
import { Service } from '../registry';

export enum TimeBucket {
  MINUTE = 'MINUTE',
  HOUR = 'HOUR',
  DAY = 'DAY',
}
registerEnumType(TimeBucket, { name: 'TimeBucket', description: 'Width of a statistics bucket (UTC boundaries).' });

export enum StatsDimension {
  SERVICE = 'SERVICE',
  PATTERN = 'PATTERN',
  TASK_TYPE = 'TASK_TYPE',
  SEVERITY = 'SEVERITY',
}
registerEnumType(StatsDimension, { name: 'StatsDimension', description: 'What statistics series are split by.' });

export enum TopGroupsOrder {
  COUNT = 'COUNT',
  GROWTH = 'GROWTH',
  RANK = 'RANK',
}
registerEnumType(TopGroupsOrder, { name: 'TopGroupsOrder', description: 'How topFailureGroups is ordered (descending).' });

// Plain data: graphql-js's default resolvers read the properties (a 30-day chart is thousands of fields).
@ObjectType({ description: 'Counts of one time bucket, by what happened to the failures that occurred in it.', simpleResolvers: true })
export class StatsPoint {
  @Field(() => Date, { description: 'Start of the bucket (UTC).' })
  at: Date;

  @Field(() => Int, { description: 'Failures that occurred in the bucket.' })
  reported: number;

  @Field(() => Int, { description: 'Retries requested for them.' })
  retried: number;

  @Field(() => Int, { description: 'Of them, retried successfully.' })
  succeeded: number;

  @Field(() => Int, { description: 'Of them, discarded.' })
  discarded: number;

  @Field(() => Int, { description: 'Of them, resolved by hand.' })
  resolved: number;
}

@ObjectType({ description: 'One series of statistics: every bucket of the range, zeros included.', simpleResolvers: true })
export class StatsSeries {
  @Field(() => String, { description: 'The value of the groupBy dimension (service name, pattern, task type, severity), or "all".' })
  key: string;

  @Field(() => [StatsPoint], { description: 'One point per bucket, oldest first.' })
  points: StatsPoint[];
}

@ObjectType({ description: 'A failure group ranked within a time window.' })
export class TopFailureGroup {
  @Field(() => FailureGroup, { description: 'The group.' })
  group: FailureGroup;

  @Field(() => Int, { description: 'Failures of the group that occurred in the window.' })
  count: number;

  @Field(() => Int, { description: 'Failures in the window of the same length just before.' })
  previousCount: number;

  @Field(() => Float, { description: '(count − previousCount) / max(previousCount, 1).' })
  growth: number;

  @Field(() => Boolean, { description: 'First seen inside the window.' })
  isNew: boolean;

  @Field(() => Boolean, { description: 'The group came back after being resolved.' })
  regressed: boolean;
}

@ObjectType({ description: 'Another group whose per-minute counts rise and fall with this one: a hint of a shared cause.' })
export class CorrelatedGroup {
  @Field(() => FailureGroup, { description: 'The other group.' })
  group: FailureGroup;

  @Field(() => Float, { description: 'Pearson correlation of the per-minute counts (≥ 0.8).' })
  correlation: number;

  @Field(() => Int, { description: 'Minutes one trails the other (0–2).' })
  lagMinutes: number;
}

@ObjectType({ description: "How long one service's failures took from report to a closed state." })
export class ServiceCloseTime {
  @Field(() => Service, { description: 'The service.' })
  service: Service;

  @Field(() => Int, { description: 'Failures that occurred in the range and are closed (succeeded, discarded or resolved).' })
  closed: number;

  @Field(() => Float, { nullable: true, description: 'Median seconds from report to closed (upper bound of its log bucket: within 12.5%).' })
  medianSeconds: number | null;

  @Field(() => Float, { nullable: true, description: '90th percentile, likewise.' })
  p90Seconds: number | null;
}

@ObjectType({ description: 'How fast incidents were taken and ended, and failures closed.' })
export class IncidentMetrics {
  @Field(() => [ServiceCloseTime], { description: 'Per service, time from report to a closed state of the failures that occurred in the range (whole UTC days). Of the filter, only service applies: the histogram is kept per service and day.' })
  failureCloseTimes: ServiceCloseTime[];

  @Field(() => Int, { description: 'Incidents triggered in the range.' })
  incidents: number;

  @Field(() => Int, { description: 'Of them, acknowledged.' })
  acknowledged: number;

  @Field(() => Int, { description: 'Of them, resolved.' })
  resolved: number;

  @Field(() => Float, { nullable: true, description: 'Mean time from trigger to acknowledgement, in seconds.' })
  mttaSeconds: number | null;

  @Field(() => Float, { nullable: true, description: 'Mean time from trigger to resolution, in seconds.' })
  mttrSeconds: number | null;

  @Field(() => Float, { nullable: true, description: '90th percentile of time to resolution, in seconds.' })
  p90ResolveSeconds: number | null;
}

@ObjectType({ description: "One value of an attribute: its share of the group's failures next to its share of the service's." })
export class AttributeValueShare {
  @Field(() => String, { description: 'The value ("(other)" gathers values beyond the 20 kept per group).' })
  value: string;

  @Field(() => Int, { description: "The group's failures with this value." })
  count: number;

  @Field(() => Float, { description: "Share of the group's failures (0–1)." })
  share: number;

  @Field(() => Float, { description: "Share of all the service's failures in the same period (0–1)." })
  baselineShare: number;

  @Field(() => Float, { description: 'share / baselineShare: above 1, the value is over-represented in the group.' })
  lift: number;
}

@ObjectType({ description: "How a group's failures spread over one attribute's values." })
export class AttributeBreakdown {
  @Field(() => String, { description: 'The attribute (host, version, region, source, …).' })
  attribute: string;

  @Field(() => [AttributeValueShare], { description: 'Values, most frequent first.' })
  values: AttributeValueShare[];
}

@ObjectType({ description: 'An attribute value over-represented in a group: a root-cause hint.' })
export class Suspect {
  @Field(() => String, { description: 'The attribute.' })
  attribute: string;

  @Field(() => String, { description: 'The value.' })
  value: string;

  @Field(() => Int, { description: "The group's failures with it." })
  count: number;

  @Field(() => Float, { description: "Share of the group's failures." })
  share: number;

  @Field(() => Float, { description: "Share of the service's failures in the same period." })
  baselineShare: number;

  @Field(() => Float, { description: 'share / baselineShare (at least 2).' })
  lift: number;

  @Field(() => String, { description: 'The hint in one sentence.' })
  description: string;
}

@ObjectType({ description: 'What the retention purge keeps and has removed.' })
export class Retention {
  @Field(() => Int, { description: 'Closed failures older than this many days are purged (0: never).' })
  retentionDays: number;

  @Field(() => Int, { description: 'Failures purged since the service began keeping records.' })
  purgedTotal: number;

  @Field(() => Date, { nullable: true, description: 'When the purge last ran.' })
  lastRunAt: Date | null;

  @Field(() => Int, { nullable: true, description: 'How many it removed then.' })
  lastRunPurged: number | null;
}
