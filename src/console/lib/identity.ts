import { ApiError, request } from './api';
import { ME } from './operations';
import { type Role, capabilitiesOf } from './roles';

export interface Identity {
  token: string;
  role: Role;
  actor: string;
}

/** Who a token belongs to; reporter tokens are refused (they report, they do not read the desk). */
export async function identify(token: string): Promise<Identity> {
  const { me } = await request<{ me: { role: Role; actor: string } }>(token, ME);
  if (!capabilitiesOf(me.role).read) {
    throw new ApiError('This is a reporter token: it can report failures but not use the console. Sign in with a viewer, operator or admin token.', 'FORBIDDEN');
  }
  return { token, role: me.role, actor: me.actor };
}
