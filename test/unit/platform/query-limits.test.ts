import { describe, expect, it } from '@jest/globals';
import { buildSchema, parse, specifiedRules, validate } from 'graphql';
import { queryLimitRules } from '../../../src/platform/graphql/query-limits';

const schema = buildSchema(`
  type Node { id: ID! child: Node children(first: Int): [Node!]! }
  type Query { node: Node nodes(first: Int): [Node!]! }
`);
const rules = [...specifiedRules, ...queryLimitRules({ maxDepth: 5, maxAliases: 3, maxCost: 1_000, defaultListSize: 100 })];
const errorsOf = (query: string) => validate(schema, parse(query), rules).map((e) => e.message);

describe('query limits', () => {
  it('lets an ordinary query through', () => {
    expect(errorsOf('{ nodes(first: 10) { id child { id } } }')).toEqual([]);
  });

  it('refuses a query deeper than the limit, counting through fragments', () => {
    expect(errorsOf('{ node { child { child { child { child { child { id } } } } } } }')[0]).toMatch(/levels deep; the limit is 5/);
    expect(errorsOf('fragment F on Node { child { child { child { child { id } } } } } { node { child { ...F } } }')[0]).toMatch(/deep/);
  });

  it('refuses more aliases than the limit', () => {
    expect(errorsOf('{ a: node { id } b: node { id } c: node { id } d: node { id } }')).toEqual(['The query uses more than 3 aliases']);
  });

  it('multiplies the cost of nested lists by their page sizes', () => {
    expect(errorsOf('{ nodes(first: 40) { children(first: 40) { id } } }')[0]).toBe("The query's estimated cost 1641 exceeds the limit of 1000");
    expect(errorsOf('{ nodes(first: 10) { children(first: 10) { id } } }')).toEqual([]);
  });

  it('assumes the default page size when the size comes from a variable', () => {
    expect(errorsOf('query($n: Int) { nodes(first: $n) { children(first: $n) { id } } }')[0]).toMatch(/exceeds the limit/);
  });

  it('survives a fragment that spreads itself', () => {
    expect(() => errorsOf('fragment F on Node { child { ...F } } { node { ...F } }')).not.toThrow();
  });
});
