import { Arg, Authorized, Mutation, Query, Resolver } from 'type-graphql';
import { Role } from '../auth';
import type { ServiceRegistry } from '../registry';
import type { EscalationPolicyService } from './escalation-policy.service';
import { EscalationPolicy, EscalationPolicyInput } from './escalation.types';

@Resolver(() => EscalationPolicy)
export class EscalationResolver {
  constructor(
    private readonly policies: EscalationPolicyService,
    private readonly registry: ServiceRegistry,
  ) {}

  @Authorized(Role.ADMIN)
  @Mutation(() => EscalationPolicy, { description: "Sets a service's escalation policy (no service: the global default). Credentials are stored encrypted and never returned." })
  async setEscalationPolicy(@Arg('input', () => EscalationPolicyInput) input: EscalationPolicyInput): Promise<EscalationPolicy> {
    const policy = await this.policies.set(input);
    return this.policies.toView(policy, policy.serviceId ? await this.registry.getById(policy.serviceId) : null);
  }

  @Authorized(Role.VIEWER)
  @Query(() => [EscalationPolicy], { description: 'Every escalation policy (credentials are never shown).' })
  async escalationPolicies(): Promise<EscalationPolicy[]> {
    const policies = await this.policies.list();
    return Promise.all(policies.map(async (p) => this.policies.toView(p, p.serviceId ? await this.registry.getById(p.serviceId) : null)));
  }
}
