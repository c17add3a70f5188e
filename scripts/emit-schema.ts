/** Writes schema/schema.graphql (the subgraph SDL) from the code: `npm run schema:emit`. */
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { appSchemaSdl } from '../src/schema';

const target = path.join(__dirname, '..', 'schema', 'schema.graphql');
fs.writeFileSync(target, appSchemaSdl());
process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
