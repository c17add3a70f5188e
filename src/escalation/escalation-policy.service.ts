import { randomUUID } from 'node:crypto';
import { type DataSource, type EntityManager, In } from 'typeorm';
import { BadUserInputError } from '../platform/errors';
import type { TransactionRunner } from '../platform/db';
import type { ServiceEntity, ServiceRegistry } from '../registry';
import type { CredentialsCipher } from './credentials-cipher';
import { EscalationPolicyEntity, GLOBAL_POLICY_SCOPE } from './escalation-policy.entity';
import { type ProviderCredentials, ProviderName } from './escalation.port';
import type { MuteWindow, PolicyRules } from './policy-evaluation';
import type { EscalationPolicy, EscalationPolicyInput } from './escalation.types';

const MAX_SECONDS = 30 * 24 * 3600; // no interval longer than 30 days

/** Escalation policies: validated, credentials encrypted, resolved per service with the global fallback. */
export class EscalationPolicyService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
    private readonly registry: ServiceRegistry,
    private readonly cipher: CredentialsCipher | undefined,
  ) {}

  async set(input: EscalationPolicyInput): Promise<EscalationPolicyEntity> {
    if (!this.cipher) throw new BadUserInputError('Set CREDENTIALS_KEY (32 bytes, hex or base64) before storing escalation credentials', { field: 'CREDENTIALS_KEY' });
    const service = input.service ? await this.registry.getByName(input.service) : null;
    const credentials = validateCredentials(input);
    for (const [field, value, min] of [
      ['thresholdCount', input.thresholdCount, 1],
      ['thresholdWindowSeconds', input.thresholdWindowSeconds, 1],
      ['groupWaitSeconds', input.groupWaitSeconds, 0],
      ['repeatIntervalSeconds', input.repeatIntervalSeconds, 60],
      ['quietPeriodSeconds', input.quietPeriodSeconds, 1],
      ['flapWindowSeconds', input.flapWindowSeconds, 0],
    ] as const) {
      if (!Number.isInteger(value) || value < min || value > MAX_SECONDS) throw new BadUserInputError(`${field} must be an integer from ${min} to ${MAX_SECONDS}`, { field });
    }
    const muteWindows: MuteWindow[] = (input.muteWindows ?? []).map((w, index) => {
      if (!(w.from < w.to)) throw new BadUserInputError(`muteWindows[${index}]: "from" must be before "to"`, { field: 'muteWindows', index });
      return { from: w.from.toISOString(), to: w.to.toISOString(), reason: w.reason?.slice(0, 200) ?? null };
    });
    const scope = service?.id ?? GLOBAL_POLICY_SCOPE;
    return this.transactions.run(async (manager) => {
      const repo = manager.getRepository(EscalationPolicyEntity);
      const existing = await repo.findOneBy({ scope });
      const now = new Date();
      const policy = Object.assign(existing ?? new EscalationPolicyEntity(), {
        id: existing?.id ?? randomUUID(),
        scope,
        serviceId: service?.id ?? null,
        provider: input.provider,
        credentialsEncrypted: this.cipher!.encrypt(credentials),
        minSeverity: input.minSeverity,
        thresholdCount: input.thresholdCount,
        thresholdWindowSeconds: input.thresholdWindowSeconds,
        groupWaitSeconds: input.groupWaitSeconds,
        repeatIntervalSeconds: input.repeatIntervalSeconds,
        quietPeriodSeconds: input.quietPeriodSeconds,
        flapWindowSeconds: input.flapWindowSeconds,
        muteWindowsJson: JSON.stringify(muteWindows),
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      });
      await repo.save(policy);
      return policy;
    });
  }

  /** The service's own policy, else the global default, else none (nothing pages). */
  async forService(serviceId: string, manager?: EntityManager): Promise<EscalationPolicyEntity | null> {
    return (await this.forServices([serviceId], manager)).get(serviceId) ?? null;
  }

  /** {@link forService} for many services, in one read. */
  async forServices(serviceIds: readonly string[], manager?: EntityManager): Promise<Map<string, EscalationPolicyEntity | null>> {
    const rows = await (manager ?? this.dataSource.manager).getRepository(EscalationPolicyEntity).findBy({ scope: In([...serviceIds, GLOBAL_POLICY_SCOPE]) });
    const byScope = new Map(rows.map((p) => [p.scope, p]));
    const global = byScope.get(GLOBAL_POLICY_SCOPE) ?? null;
    return new Map(serviceIds.map((id) => [id, byScope.get(id) ?? global]));
  }

  getById(id: string, manager?: EntityManager): Promise<EscalationPolicyEntity | null> {
    return (manager ?? this.dataSource.manager).getRepository(EscalationPolicyEntity).findOneBy({ id });
  }

  list(): Promise<EscalationPolicyEntity[]> {
    return this.dataSource.getRepository(EscalationPolicyEntity).find({ order: { scope: 'ASC' } });
  }

  credentialsOf(policy: EscalationPolicyEntity): ProviderCredentials {
    if (!this.cipher) throw new Error('CREDENTIALS_KEY is not set: stored credentials cannot be read');
    return this.cipher.decrypt<ProviderCredentials>(policy.credentialsEncrypted);
  }

  rulesOf(policy: EscalationPolicyEntity): PolicyRules {
    return {
      minSeverity: policy.minSeverity,
      thresholdCount: policy.thresholdCount,
      thresholdWindowSeconds: policy.thresholdWindowSeconds,
      groupWaitSeconds: policy.groupWaitSeconds,
      repeatIntervalSeconds: policy.repeatIntervalSeconds,
      quietPeriodSeconds: policy.quietPeriodSeconds,
      flapWindowSeconds: policy.flapWindowSeconds,
      muteWindows: JSON.parse(policy.muteWindowsJson) as MuteWindow[],
    };
  }

  /** The GraphQL view: never the credentials. */
  toView(policy: EscalationPolicyEntity, service: ServiceEntity | null): EscalationPolicy {
    let region: EscalationPolicy['region'] = null;
    try {
      region = (this.credentialsOf(policy).region as EscalationPolicy['region']) ?? null;
    } catch {
      region = null;
    }
    return {
      id: policy.id,
      service,
      provider: policy.provider as ProviderName,
      hasCredentials: Boolean(policy.credentialsEncrypted),
      region,
      minSeverity: policy.minSeverity,
      thresholdCount: policy.thresholdCount,
      thresholdWindowSeconds: policy.thresholdWindowSeconds,
      groupWaitSeconds: policy.groupWaitSeconds,
      repeatIntervalSeconds: policy.repeatIntervalSeconds,
      quietPeriodSeconds: policy.quietPeriodSeconds,
      flapWindowSeconds: policy.flapWindowSeconds,
      muteWindows: (JSON.parse(policy.muteWindowsJson) as MuteWindow[]).map((w) => ({ from: new Date(w.from), to: new Date(w.to), reason: w.reason ?? null })),
      updatedAt: policy.updatedAt,
    };
  }
}

function validateCredentials(input: EscalationPolicyInput): ProviderCredentials {
  if (input.provider === ProviderName.PAGERDUTY) {
    const routingKey = input.routingKey?.trim();
    if (!routingKey || routingKey.length !== 32) throw new BadUserInputError('A PagerDuty routingKey of exactly 32 characters is required', { field: 'routingKey' });
    return { routingKey };
  }
  const apiKey = input.apiKey?.trim();
  if (!apiKey) throw new BadUserInputError('An Opsgenie apiKey is required', { field: 'apiKey' });
  const responders = (input.responders ?? []).map((r, index) => {
    if (!['team', 'user', 'escalation', 'schedule'].includes(r.type)) throw new BadUserInputError(`responders[${index}].type must be team, user, escalation or schedule`, { field: 'responders', index });
    if (!r.id && !r.name && !r.username) throw new BadUserInputError(`responders[${index}] needs an id, name or username`, { field: 'responders', index });
    return { type: r.type, ...(r.id ? { id: r.id } : {}), ...(r.name ? { name: r.name } : {}), ...(r.username ? { username: r.username } : {}) };
  });
  return { apiKey, region: input.region ?? 'US', responders };
}
