import { Arg, Authorized, ID, Int, Query, Resolver } from 'type-graphql';
import { Role } from '../auth';
import { FailureFilter } from '../failures/failure.types';
import { IncidentFilter } from '../incidents/incident.types';
import type { InsightsService } from './insights.service';
import type { RetentionService } from './retention';
import { AttributeBreakdown, CorrelatedGroup, IncidentMetrics, Retention, Suspect, StatsDimension, StatsSeries, TimeBucket, TopFailureGroup, TopGroupsOrder } from './insights.types';

@Resolver()
export class InsightsResolver {
  constructor(
    private readonly insights: InsightsService,
    private readonly retention: RetentionService,
  ) {}

  @Authorized(Role.VIEWER)
  @Query(() => Retention, { description: 'The retention policy and what it has purged: groups and statistics remain, raw closed failures go.' })
  retentionStatus() {
    return this.retention.status();
  }

  @Authorized(Role.VIEWER)
  @Query(() => [StatsSeries], { description: 'Failures over time, bucketed (UTC) by when they occurred, optionally one series per dimension value.' })
  failureStats(
    @Arg('filter', () => FailureFilter, { nullable: true }) filter: FailureFilter | null,
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Arg('bucket', () => TimeBucket) bucket: TimeBucket,
    @Arg('groupBy', () => StatsDimension, { nullable: true }) groupBy: StatsDimension | null,
  ): Promise<StatsSeries[]> {
    return this.insights.failureStats(filter, from, to, bucket, groupBy);
  }

  @Authorized(Role.VIEWER)
  @Query(() => [TopFailureGroup], { description: 'The failure groups most active in a window, with the window before for comparison.' })
  topFailureGroups(
    @Arg('filter', () => FailureFilter, { nullable: true }) filter: FailureFilter | null,
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Arg('limit', () => Int, { defaultValue: 10 }) limit: number,
    @Arg('orderBy', () => TopGroupsOrder, { defaultValue: TopGroupsOrder.COUNT }) orderBy: TopGroupsOrder,
  ) {
    return this.insights.topFailureGroups(filter, from, to, limit, orderBy);
  }

  @Authorized(Role.VIEWER)
  @Query(() => [CorrelatedGroup], { description: 'Other groups, of any service, whose per-minute counts rise and fall with this one (Pearson ≥ 0.8, lag 0–2 min).' })
  correlatedGroups(@Arg('id', () => ID) id: string, @Arg('from', () => Date) from: Date, @Arg('to', () => Date) to: Date) {
    return this.insights.correlatedGroups(id, from, to);
  }

  @Authorized(Role.VIEWER)
  @Query(() => AttributeBreakdown, {
    description:
      "How a group's failures spread over one attribute's values, next to the service's failures in the same period: the group's whole life, or the whole UTC hours [from, to) touches (from defaults to the group's first hour, to to now; at most 7 days of the group's life).",
  })
  failureGroupBreakdown(
    @Arg('id', () => ID) id: string,
    @Arg('attribute', () => String) attribute: string,
    @Arg('from', () => Date, { nullable: true }) from: Date | null,
    @Arg('to', () => Date, { nullable: true }) to: Date | null,
  ) {
    return this.insights.breakdown(id, attribute, { from, to });
  }

  @Authorized(Role.VIEWER)
  @Query(() => [Suspect], {
    description:
      'Attribute values over-represented in the group (lift ≥ 2, at least 5 failures, 30% of the group), strongest first; over its whole life, or the whole UTC hours [from, to) touches, as failureGroupBreakdown.',
  })
  failureGroupSuspects(@Arg('id', () => ID) id: string, @Arg('from', () => Date, { nullable: true }) from: Date | null, @Arg('to', () => Date, { nullable: true }) to: Date | null) {
    return this.insights.suspects(id, { from, to });
  }

  @Authorized(Role.VIEWER)
  @Query(() => IncidentMetrics, { description: 'Incidents triggered in the range: how many, mean time to acknowledge and to resolve, p90 to resolve.' })
  incidentMetrics(@Arg('filter', () => IncidentFilter, { nullable: true }) filter: IncidentFilter | null, @Arg('from', () => Date) from: Date, @Arg('to', () => Date) to: Date) {
    return this.insights.incidentMetrics(filter, from, to);
  }
}
