import { InitialSchema1764300000000 } from './1764300000000-initial-schema';

/** MySQL / MariaDB migrations, oldest first. */
export const mysqlMigrations = [InitialSchema1764300000000];
