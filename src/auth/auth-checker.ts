import type { AuthChecker } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { requireRole } from './auth.service';
import type { Role } from './roles';

/**
 * type-graphql's `@Authorized(...roles)` check. Throws the contract's errors itself, so a
 * missing token is UNAUTHENTICATED and a too-weak one FORBIDDEN.
 */
export const authChecker: AuthChecker<GraphQLContext, Role> = ({ context }, roles) => {
  requireRole(context.principal, roles);
  return true;
};
