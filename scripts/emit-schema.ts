/** Writes schema/schema.graphql from the code: `npm run schema:emit`. */
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { printSortedSchema } from '../src/platform/graphql';
import { buildAppSchema } from '../src/schema';

const target = path.join(__dirname, '..', 'schema', 'schema.graphql');
fs.writeFileSync(target, printSortedSchema(buildAppSchema()));
process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
