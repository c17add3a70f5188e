import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { appSchemaSdl } from '../../../src/schema';

describe('schema drift', () => {
  it('matches the committed schema/schema.graphql (run `npm run schema:emit` after changing the API)', () => {
    const committed = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'schema', 'schema.graphql'), 'utf8');
    expect(appSchemaSdl()).toBe(committed);
  });
});
