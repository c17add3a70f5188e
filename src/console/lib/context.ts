import { createContext } from 'preact';
import type { Api } from './api';
import type { Capabilities, Role } from './roles';

export interface ConsoleSession {
  api: Api;
  role: Role;
  actor: string;
  can: Capabilities;
  /** Grows each time the live connection comes back: views reload what they show. */
  reconnects: number;
}

export const ConsoleContext = createContext<ConsoleSession>(undefined as unknown as ConsoleSession);
