import { InitialSchema1764300000000 } from './1764300000000-initial-schema';

/** SQLite migrations, oldest first. */
export const sqliteMigrations = [InitialSchema1764300000000];
