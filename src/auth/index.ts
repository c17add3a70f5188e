export { ApiTokenEntity } from './api-token.entity';
export { authChecker } from './auth-checker';
export { AuthService, requireRole, requireServiceAccess } from './auth.service';
export { Role, roleSatisfies, type Principal } from './roles';
export { parseBearer } from './token';
