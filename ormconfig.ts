/**
 * The DataSource the TypeORM CLI reads (`npm run typeorm -- migration:show`). It uses the same
 * configuration as the service: DATABASE_URL, or the embedded SQLite file under DATA_DIR.
 */
import 'reflect-metadata';
import { loadConfig } from './src/config';
import { createDataSource } from './src/platform/db';
import { ENTITIES } from './src/entities';

export default createDataSource(loadConfig().database, ENTITIES);
