import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Role } from '../auth';
import type { GraphQLContext } from '../context';
import { FailureGroup, HistoryEntry, PageArgs } from '../failures/failure.types';
import type { FailureGroupEntity } from '../grouping/failure-group.entity';
import { Service, type ServiceEntity } from '../registry';
import type { IncidentEntity } from './incident.entity';
import type { IncidentService } from './incident.service';
import { Incident, IncidentConnection, IncidentDelivery, IncidentFilter } from './incident.types';

@Resolver(() => Incident)
export class IncidentResolver {
  constructor(private readonly lifecycle: IncidentService) {}

  @Authorized(Role.VIEWER)
  @Query(() => Incident, { description: 'One incident by id.' })
  incident(@Arg('id', () => ID) id: string): Promise<IncidentEntity> {
    return this.lifecycle.get(id);
  }

  @Authorized(Role.VIEWER)
  @Query(() => IncidentConnection, { description: 'Incidents, newest triggered first, filtered and paged.' })
  incidents(@Arg('filter', () => IncidentFilter, { nullable: true }) filter: IncidentFilter | null, @Args(() => PageArgs) page: PageArgs) {
    return this.lifecycle.list(filter, page.first, page.after);
  }

  @Authorized(Role.OPERATOR)
  @Mutation(() => Incident, { description: 'Takes the incident (→ ACKNOWLEDGED); the provider is told.' })
  acknowledgeIncident(@Arg('id', () => ID) id: string, @Arg('note', () => String, { nullable: true }) note: string | null, @Ctx() ctx: GraphQLContext): Promise<IncidentEntity> {
    return this.lifecycle.acknowledge(id, { actor: ctx.principal!.actor, note });
  }

  @Authorized(Role.OPERATOR)
  @Mutation(() => Incident, { description: 'Ends the incident (→ RESOLVED); the provider is told.' })
  resolveIncident(@Arg('id', () => ID) id: string, @Arg('note', () => String, { nullable: true }) note: string | null, @Ctx() ctx: GraphQLContext): Promise<IncidentEntity> {
    return this.lifecycle.resolve(id, { actor: ctx.principal!.actor, note });
  }

  @FieldResolver(() => FailureGroup)
  async group(@Root() incident: IncidentEntity, @Ctx() ctx: GraphQLContext): Promise<FailureGroupEntity> {
    return (await ctx.loaders.group.load(incident.groupId))!;
  }

  @FieldResolver(() => Service)
  async service(@Root() incident: IncidentEntity, @Ctx() ctx: GraphQLContext): Promise<ServiceEntity> {
    return (await ctx.loaders.service.load(incident.serviceId))!;
  }

  @FieldResolver(() => [String])
  rankReasons(@Root() incident: IncidentEntity): string[] {
    return JSON.parse(incident.rankReasonsJson) as string[];
  }

  @FieldResolver(() => [IncidentDelivery])
  deliveries(@Root() incident: IncidentEntity, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.deliveries.load(incident.id);
  }

  @FieldResolver(() => [HistoryEntry])
  history(@Root() incident: IncidentEntity, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.history.load(incident.id);
  }
}
