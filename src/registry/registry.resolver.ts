import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { Role } from '../auth';
import type { GraphQLContext } from '../context';
import type { ServiceRegistry } from './registry.service';
import { CreateApiTokenInput, CreateApiTokenPayload, CreateServiceInput, CreateServicePayload, Me, Service, UpdateServiceInput } from './registry.types';

@Resolver(() => Service)
export class RegistryResolver {
  constructor(private readonly registry: ServiceRegistry) {}

  // REPORTER and VIEWER (which staff roles include) together admit every valid token.
  @Authorized(Role.REPORTER, Role.VIEWER)
  @Query(() => Me, { description: 'Who the caller is: its role, how audit entries name it, and the service of a REPORTER token. Any valid token.' })
  async me(@Ctx() ctx: GraphQLContext): Promise<Me> {
    const { role, actor, serviceId } = ctx.principal!;
    return { role, actor, service: serviceId ? await ctx.loaders.service.load(serviceId) : null };
  }

  @Authorized(Role.VIEWER)
  @Query(() => [Service], { description: 'Every reporting service, by name.' })
  services(): Promise<Service[]> {
    return this.registry.list();
  }

  @Authorized(Role.VIEWER)
  @Query(() => Service, { description: 'One reporting service by name.' })
  service(@Arg('name', () => String) name: string): Promise<Service> {
    return this.registry.getByName(name);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => CreateServicePayload, { description: 'Registers a reporting service and returns its first REPORTER token (shown once).' })
  async createService(@Arg('input', () => CreateServiceInput) input: CreateServiceInput, @Ctx() ctx: GraphQLContext): Promise<CreateServicePayload> {
    const { service, token } = await this.registry.createService(ctx.principal!, input);
    return { service, token, retryWebhookSecret: service.retryWebhookSecret };
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => Service, { description: "Changes a service's team, criticality or retry webhook." })
  updateService(@Arg('input', () => UpdateServiceInput) input: UpdateServiceInput): Promise<Service> {
    return this.registry.updateService(input);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => CreateApiTokenPayload, { description: 'Creates an API token (shown once); REPORTER tokens name their service.' })
  createApiToken(@Arg('input', () => CreateApiTokenInput) input: CreateApiTokenInput, @Ctx() ctx: GraphQLContext): Promise<CreateApiTokenPayload> {
    return this.registry.issueToken(ctx.principal!, input);
  }
}
