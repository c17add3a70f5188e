import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { BadUserInputError, ForbiddenError, UnauthenticatedError } from '../platform/errors';
import { ApiTokenEntity } from './api-token.entity';
import { Role, type Principal, roleSatisfies } from './roles';
import { digestsEqual, generateToken, hashToken } from './token';

const PRINCIPAL_CACHE_TTL_MS = 10_000; // 10 seconds: a deleted token stops working within this
const PRINCIPAL_CACHE_MAX_ENTRIES = 10_000;

export interface AuthServiceOptions {
  dataSource: DataSource;
  adminToken?: string;
  now?: () => number;
}

/** Issues API tokens and turns a presented token into a Principal. */
export class AuthService {
  private readonly adminTokenHash: string | undefined;
  private readonly cache = new Map<string, { principal: Principal | null; expiresAt: number }>();
  private readonly now: () => number;

  constructor(private readonly options: AuthServiceOptions) {
    this.adminTokenHash = options.adminToken ? hashToken(options.adminToken) : undefined;
    this.now = options.now ?? Date.now;
  }

  /**
   * The principal for a presented token. Throws UNAUTHENTICATED for a token that is not
   * known; returns null when no token was presented at all.
   */
  async authenticate(token: string | undefined): Promise<Principal | null> {
    if (token === undefined) return null;
    const hash = hashToken(token);
    if (this.adminTokenHash && digestsEqual(hash, this.adminTokenHash)) {
      return { role: Role.ADMIN, tokenId: null, serviceId: null, actor: 'admin (bootstrap token)' };
    }
    const cached = this.cache.get(hash);
    if (cached && cached.expiresAt > this.now()) {
      if (!cached.principal) throw new UnauthenticatedError('The bearer token is not valid');
      return cached.principal;
    }
    const row = await this.options.dataSource.getRepository(ApiTokenEntity).findOneBy({ tokenHash: hash });
    const principal = row && digestsEqual(row.tokenHash, hash) ? toPrincipal(row) : null;
    this.remember(hash, principal);
    if (!principal) throw new UnauthenticatedError('The bearer token is not valid');
    return principal;
  }

  /** Creates a token and returns it in clear text: the only time it is ever visible. */
  async issueToken(
    manager: EntityManager,
    input: { role: Role; serviceId: string | null; label?: string | null; createdBy: string },
  ): Promise<{ token: string; entity: ApiTokenEntity }> {
    if (input.role === Role.REPORTER && !input.serviceId) throw new BadUserInputError('A REPORTER token must be bound to a service');
    if (input.role !== Role.REPORTER && input.serviceId) throw new BadUserInputError('Only REPORTER tokens are bound to a service');
    const token = generateToken();
    const entity = manager.getRepository(ApiTokenEntity).create({
      id: randomUUID(),
      tokenHash: hashToken(token),
      role: input.role,
      serviceId: input.serviceId,
      label: input.label ?? null,
      createdBy: input.createdBy,
      createdAt: new Date(),
    });
    await manager.getRepository(ApiTokenEntity).insert(entity);
    return { token, entity };
  }

  private remember(hash: string, principal: Principal | null): void {
    if (this.cache.size >= PRINCIPAL_CACHE_MAX_ENTRIES) this.cache.clear();
    this.cache.set(hash, { principal, expiresAt: this.now() + PRINCIPAL_CACHE_TTL_MS });
  }
}

function toPrincipal(row: ApiTokenEntity): Principal {
  return {
    role: row.role,
    tokenId: row.id,
    serviceId: row.serviceId,
    actor: row.label ? `${row.label} (${row.role.toLowerCase()})` : `${row.role.toLowerCase()} token ${row.id.slice(0, 8)}`,
  };
}

/** Throws unless the principal has one of the roles (staff roles include those below them). */
export function requireRole(principal: Principal | null, roles: readonly Role[]): Principal {
  if (!principal) throw new UnauthenticatedError();
  if (!roles.some((required) => roleSatisfies(principal.role, required))) {
    throw new ForbiddenError(`This operation needs one of the roles ${roles.join(', ')}; the token has ${principal.role}`);
  }
  return principal;
}

/** A REPORTER may act only for its own service; staff with the role checked elsewhere may act for any. */
export function requireServiceAccess(principal: Principal, serviceId: string, serviceName: string): void {
  if (principal.role === Role.REPORTER && principal.serviceId !== serviceId) {
    throw new ForbiddenError(`This reporter token may not act for service "${serviceName}"`);
  }
}
