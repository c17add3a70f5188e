/** What a signed-in role may do in the console; the server enforces the same rules. */
export type Role = 'ADMIN' | 'OPERATOR' | 'VIEWER' | 'REPORTER';

export interface Capabilities {
  /** Read views and live feeds. */
  read: boolean;
  /** Retry, discard, resolve; acknowledge and resolve incidents. */
  act: boolean;
}

export function capabilitiesOf(role: Role): Capabilities {
  switch (role) {
    case 'ADMIN':
    case 'OPERATOR':
      return { read: true, act: true };
    case 'VIEWER':
      return { read: true, act: false };
    case 'REPORTER':
      return { read: false, act: false };
  }
}
