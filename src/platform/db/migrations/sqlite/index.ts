import { InitialSchema1764300000000 } from './1764300000000-initial-schema';
import { RetryTimeouts1764400000000 } from './1764400000000-retry-timeouts';

/** SQLite migrations, oldest first. */
export const sqliteMigrations = [InitialSchema1764300000000, RetryTimeouts1764400000000];
