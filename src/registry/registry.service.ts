import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { type AuthService, type Principal, Role } from '../auth';
import type { TransactionRunner } from '../platform/db';
import { BadUserInputError, ConflictError, NotFoundError } from '../platform/errors';
import { ServiceEntity } from './service.entity';

const SERVICE_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,99}$/;
const SERVICE_CACHE_TTL_MS = 5_000; // 5 seconds: name → id rarely changes, and never for an existing name

export interface CreateServiceCommand {
  name: string;
  team: string;
  criticality: number;
  retryWebhookUrl?: string | null;
}

export interface UpdateServiceCommand {
  name: string;
  team?: string | null;
  criticality?: number | null;
  retryWebhookUrl?: string | null;
}

/** Reporting services (tenants): registration, lookup, and their tokens. */
export class ServiceRegistry {
  private readonly byName = new Map<string, { service: ServiceEntity; expiresAt: number }>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
    private readonly auth: AuthService,
  ) {}

  async createService(actor: Principal, command: CreateServiceCommand): Promise<{ service: ServiceEntity; token: string }> {
    const name = command.name.trim();
    if (!SERVICE_NAME_PATTERN.test(name)) {
      throw new BadUserInputError('Service name must be 1–100 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit', { field: 'name' });
    }
    const team = requireText(command.team, 'team', 200);
    validateCriticality(command.criticality);
    const retryWebhookUrl = normalizeWebhookUrl(command.retryWebhookUrl);
    return this.transactions.run(async (manager) => {
      const repo = manager.getRepository(ServiceEntity);
      if (await repo.existsBy({ name })) throw new ConflictError(`A service named "${name}" already exists`, { field: 'name' });
      const now = new Date();
      const service = repo.create({
        id: randomUUID(),
        name,
        team,
        criticality: command.criticality,
        retryWebhookUrl,
        retryWebhookSecret: randomBytes(32).toString('base64url'),
        createdAt: now,
        updatedAt: now,
      });
      await repo.insert(service);
      const { token } = await this.auth.issueToken(manager, { role: Role.REPORTER, serviceId: service.id, label: `${name} reporter`, createdBy: actor.actor });
      return { service, token };
    });
  }

  async updateService(command: UpdateServiceCommand): Promise<ServiceEntity> {
    const service = await this.getByName(command.name);
    if (command.team != null) service.team = requireText(command.team, 'team', 200);
    if (command.criticality != null) {
      validateCriticality(command.criticality);
      service.criticality = command.criticality;
    }
    if (command.retryWebhookUrl !== undefined) service.retryWebhookUrl = normalizeWebhookUrl(command.retryWebhookUrl);
    service.updatedAt = new Date();
    await this.transactions.run((manager) => manager.getRepository(ServiceEntity).save(service));
    this.byName.delete(service.name);
    return service;
  }

  async issueToken(actor: Principal, input: { role: Role; service?: string | null; label?: string | null }): Promise<{ id: string; token: string; role: Role }> {
    const serviceId = input.service ? (await this.getByName(input.service)).id : null;
    const label = input.label ? requireText(input.label, 'label', 200) : null;
    const { token, entity } = await this.transactions.run((manager) =>
      this.auth.issueToken(manager, { role: input.role, serviceId, label, createdBy: actor.actor }),
    );
    return { id: entity.id, token, role: entity.role };
  }

  /** The service of that name; NOT_FOUND otherwise. Cached briefly: ingestion asks on every report. */
  async getByName(name: string): Promise<ServiceEntity> {
    const cached = this.byName.get(name);
    if (cached && cached.expiresAt > Date.now()) return cached.service;
    const service = await this.dataSource.getRepository(ServiceEntity).findOneBy({ name });
    if (!service) throw new NotFoundError('Service', name);
    this.byName.set(name, { service, expiresAt: Date.now() + SERVICE_CACHE_TTL_MS });
    return service;
  }

  /** Services by id, in the order asked (null for unknown ids); used by DataLoaders. */
  async getByIds(ids: readonly string[]): Promise<Array<ServiceEntity | null>> {
    const rows = ids.length ? await this.dataSource.getRepository(ServiceEntity).createQueryBuilder('s').whereInIds([...new Set(ids)]).getMany() : [];
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /**
   * The service with that id; NOT_FOUND otherwise. Inside a transaction pass its manager: a
   * second pool connection taken while holding row locks can starve the pool.
   */
  async getById(id: string, manager?: EntityManager): Promise<ServiceEntity> {
    const service = await (manager ?? this.dataSource.manager).getRepository(ServiceEntity).findOneBy({ id });
    if (!service) throw new NotFoundError('Service', id);
    return service;
  }

  list(): Promise<ServiceEntity[]> {
    return this.dataSource.getRepository(ServiceEntity).find({ order: { name: 'ASC' } });
  }
}

function requireText(value: string, field: string, max: number): string {
  const text = value.trim();
  if (!text || text.length > max) throw new BadUserInputError(`${field} must be 1–${max} characters`, { field });
  return text;
}

function validateCriticality(value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > 5) throw new BadUserInputError('criticality must be an integer from 1 to 5', { field: 'criticality' });
}

function normalizeWebhookUrl(raw: string | null | undefined): string | null {
  const value = raw?.trim();
  if (!value) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new BadUserInputError('retryWebhookUrl is not a valid URL', { field: 'retryWebhookUrl' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BadUserInputError('retryWebhookUrl must be an http or https URL', { field: 'retryWebhookUrl' });
  if (value.length > 2048) throw new BadUserInputError('retryWebhookUrl is longer than 2048 characters', { field: 'retryWebhookUrl' });
  return url.toString();
}
