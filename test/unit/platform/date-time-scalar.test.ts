import { describe, expect, it } from '@jest/globals';
import { GraphQLDateTime } from 'graphql-scalars';
import { DateTime } from '../../../src/platform/graphql/build-schema';

describe('the DateTime scalar', () => {
  const inputs: unknown[] = [new Date('2026-03-01T12:34:56.789Z'), '2026-03-01T12:34:56Z', '2026-03-01T13:34:56+01:00', Date.UTC(2026, 2, 1)];

  it.each(inputs)('serializes %p to a string, the same text graphql-scalars gives once stringified', (value) => {
    const serialized = DateTime.serialize(value);
    expect(typeof serialized).toBe('string');
    expect(JSON.stringify(serialized)).toBe(JSON.stringify(GraphQLDateTime.serialize(value)));
  });

  it('refuses what graphql-scalars refuses, and reads input as it does', () => {
    expect(() => DateTime.serialize(new Date(Number.NaN))).toThrow(/invalid Date/);
    expect(() => DateTime.serialize({})).toThrow();
    expect(DateTime.parseValue('2026-03-01T12:34:56Z')).toEqual(GraphQLDateTime.parseValue('2026-03-01T12:34:56Z'));
    expect(DateTime.name).toBe('DateTime');
    expect(DateTime.description).toBe(GraphQLDateTime.description);
  });
});
