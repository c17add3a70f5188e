export const Role = { REPORTER: 'REPORTER', VIEWER: 'VIEWER', OPERATOR: 'OPERATOR', ADMIN: 'ADMIN' } as const;
export type Role = (typeof Role)[keyof typeof Role];

/** Who is calling: resolved once per request from the bearer token. */
export interface Principal {
  readonly role: Role;
  /** null for the bootstrap ADMIN_TOKEN. */
  readonly tokenId: string | null;
  /** Set for REPORTER principals: the only service they act for. */
  readonly serviceId: string | null;
  /** How audit entries name this caller. */
  readonly actor: string;
}

/** VIEWER < OPERATOR < ADMIN; REPORTER stands apart (it reports, it does not read the desk). */
const STAFF_RANK: Partial<Record<Role, number>> = { VIEWER: 1, OPERATOR: 2, ADMIN: 3 };

/**
 * True when `role` satisfies `required`: staff roles include the ones below them, REPORTER
 * only satisfies REPORTER.
 */
export function roleSatisfies(role: Role, required: Role): boolean {
  if (required === Role.REPORTER || role === Role.REPORTER) return role === required;
  return (STAFF_RANK[role] ?? 0) >= (STAFF_RANK[required] ?? Infinity);
}
