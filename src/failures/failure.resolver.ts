import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Role } from '../auth';
import type { GraphQLContext } from '../context';
import type { FailureGroupEntity } from '../grouping/failure-group.entity';
import type { ServiceEntity } from '../registry';
import { Service } from '../registry';
import type { FailureActionService } from './failure-action.service';
import type { FailureQueryService, Page } from './failure-query.service';
import type { FailureEntity } from './failure.entity';
import {
  Failure,
  FailureConnection,
  FailureFilter,
  FailureGroup,
  FailureGroupConnection,
  FailureGroupFilter,
  FailureGroupOrder,
  GroupActionResult,
  HistoryEntry,
  PageArgs,
} from './failure.types';

/** Live events carry their relations, current as of the event, so resolving them costs no query. */
type Embedded = { embedded?: { service?: ServiceEntity; group?: FailureGroupEntity } };

@Resolver(() => Failure)
export class FailureResolver {
  constructor(
    private readonly queries: FailureQueryService,
    private readonly actions: FailureActionService,
  ) {}

  @Authorized(Role.VIEWER)
  @Query(() => Failure, { description: 'One failure by id.' })
  failure(@Arg('id', () => ID) id: string): Promise<FailureEntity> {
    return this.queries.getFailure(id);
  }

  @Authorized(Role.VIEWER)
  @Query(() => FailureConnection, { description: 'Failures, newest received first, filtered and paged.' })
  failures(@Arg('filter', () => FailureFilter, { nullable: true }) filter: FailureFilter | null, @Args(() => PageArgs) page: PageArgs): Promise<Page<FailureEntity>> {
    return this.queries.listFailures(filter, page.first, page.after);
  }

  @Authorized(Role.OPERATOR)
  @Mutation(() => Failure, { description: 'Sends the failure back to its service to be tried again (FAILED → RETRYING).' })
  retryFailure(@Arg('id', () => ID) id: string, @Arg('note', () => String, { nullable: true }) note: string | null, @Ctx() ctx: GraphQLContext): Promise<FailureEntity> {
    return this.actions.retry(ctx.principal!, id, note);
  }

  @Authorized(Role.OPERATOR)
  @Mutation(() => Failure, { description: 'Gives up on the failure (→ DISCARDED); a reason is required.' })
  discardFailure(@Arg('id', () => ID) id: string, @Arg('reason', () => String) reason: string, @Ctx() ctx: GraphQLContext): Promise<FailureEntity> {
    return this.actions.discard(ctx.principal!, id, reason);
  }

  @Authorized(Role.OPERATOR)
  @Mutation(() => Failure, { description: 'Marks the failure fixed by hand (→ RESOLVED); a note saying what was done is required.' })
  resolveFailure(@Arg('id', () => ID) id: string, @Arg('note', () => String) note: string, @Ctx() ctx: GraphQLContext): Promise<FailureEntity> {
    return this.actions.resolve(ctx.principal!, id, note);
  }

  @Authorized(Role.REPORTER, Role.ADMIN)
  @Mutation(() => Failure, { description: 'The owning service reports the outcome of a retry: SUCCEEDED, or FAILED again with the next attempt.' })
  completeRetry(
    @Arg('failureId', () => ID) failureId: string,
    @Arg('succeeded', () => Boolean) succeeded: boolean,
    @Arg('errorMessage', () => String, { nullable: true }) errorMessage: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<FailureEntity> {
    return this.actions.completeRetry(ctx.principal!, failureId, succeeded, errorMessage);
  }

  @FieldResolver(() => Service)
  async service(@Root() failure: FailureEntity & Embedded, @Ctx() ctx: GraphQLContext): Promise<ServiceEntity> {
    return failure.embedded?.service ?? (await ctx.loaders.service.load(failure.serviceId))!;
  }

  @FieldResolver(() => FailureGroup)
  async group(@Root() failure: FailureEntity & Embedded, @Ctx() ctx: GraphQLContext): Promise<FailureGroupEntity> {
    return failure.embedded?.group ?? (await ctx.loaders.group.load(failure.groupId))!;
  }

  @FieldResolver(() => [HistoryEntry])
  async history(@Root() failure: FailureEntity, @Ctx() ctx: GraphQLContext): Promise<HistoryEntry[]> {
    const service = await ctx.loaders.service.load(failure.serviceId);
    const reported: HistoryEntry = { action: 'REPORTED', actor: service?.name ?? failure.serviceId, note: `attempt ${failure.attempt}`, at: failure.receivedAt };
    return [reported, ...(await ctx.loaders.history.load(failure.id))];
  }

  @FieldResolver()
  payload(@Root() failure: FailureEntity): unknown {
    return failure.payloadJson === null ? null : JSON.parse(failure.payloadJson);
  }

  @FieldResolver()
  attributes(@Root() failure: FailureEntity): Record<string, string> {
    return JSON.parse(failure.attributesJson) as Record<string, string>;
  }
}

@Resolver(() => FailureGroup)
export class FailureGroupResolver {
  constructor(
    private readonly queries: FailureQueryService,
    private readonly actions: FailureActionService,
  ) {}

  @Authorized(Role.VIEWER)
  @Query(() => FailureGroup, { description: 'One failure group (error pattern) by id.' })
  failureGroup(@Arg('id', () => ID) id: string): Promise<FailureGroupEntity> {
    return this.queries.getGroup(id);
  }

  @Authorized(Role.VIEWER)
  @Query(() => FailureGroupConnection, { description: 'Failure groups, filtered, ordered (descending) and paged.' })
  failureGroups(
    @Arg('filter', () => FailureGroupFilter, { nullable: true }) filter: FailureGroupFilter | null,
    @Arg('orderBy', () => FailureGroupOrder, { defaultValue: FailureGroupOrder.LAST_SEEN }) orderBy: FailureGroupOrder,
    @Args(() => PageArgs) page: PageArgs,
  ): Promise<Page<FailureGroupEntity>> {
    return this.queries.listGroups(filter, orderBy, page.first, page.after);
  }

  @Authorized(Role.OPERATOR)
  @Mutation(() => GroupActionResult, { description: "Retries every FAILED failure of the group." })
  retryFailureGroup(@Arg('id', () => ID) id: string, @Arg('note', () => String, { nullable: true }) note: string | null, @Ctx() ctx: GraphQLContext): Promise<{ group: FailureGroupEntity; affected: number }> {
    return this.actions.retryGroup(ctx.principal!, id, note);
  }

  @Authorized(Role.OPERATOR)
  @Mutation(() => GroupActionResult, { description: 'Discards every open failure of the group; a reason is required.' })
  discardFailureGroup(@Arg('id', () => ID) id: string, @Arg('reason', () => String) reason: string, @Ctx() ctx: GraphQLContext): Promise<{ group: FailureGroupEntity; affected: number }> {
    return this.actions.discardGroup(ctx.principal!, id, reason);
  }

  @Authorized(Role.OPERATOR)
  @Mutation(() => GroupActionResult, { description: 'Resolves every open failure of the group by hand; a note is required.' })
  resolveFailureGroup(@Arg('id', () => ID) id: string, @Arg('note', () => String) note: string, @Ctx() ctx: GraphQLContext): Promise<{ group: FailureGroupEntity; affected: number }> {
    return this.actions.resolveGroup(ctx.principal!, id, note);
  }

  @FieldResolver(() => Service)
  async service(@Root() group: FailureGroupEntity & Embedded, @Ctx() ctx: GraphQLContext): Promise<ServiceEntity> {
    return group.embedded?.service ?? (await ctx.loaders.service.load(group.serviceId))!;
  }

  @FieldResolver(() => [Int], {
    description: 'Failures of the group per UTC minute they occurred, for the last `minutes` minutes (1–1440): oldest first, ending with the current minute, zeros included. From the minute rollup; one query for a whole page of groups.',
  })
  recentCounts(
    @Root() group: FailureGroupEntity,
    @Arg('minutes', () => Int, { defaultValue: 60, description: 'How many minutes, from 1 to 1440.' }) minutes: number,
    @Ctx() ctx: GraphQLContext,
  ): Promise<number[]> {
    return ctx.loaders.recentCounts.load({ groupId: group.id, minutes });
  }
}
