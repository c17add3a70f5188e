import { type GraphQLResolverMap, buildSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { GraphQLScalarType, type GraphQLSchema, lexicographicSortSchema, parse } from 'graphql';
import { GraphQLDateTime } from 'graphql-scalars';
import { type AuthChecker, type NonEmptyArray, buildSchemaSync, createResolversMap } from 'type-graphql';

/** Federation 2: the directives the schema uses, imported from the spec. */
const FEDERATION_LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';

/**
 * graphql-scalars' `DateTime`, serialized to its ISO string here rather than left a Date for
 * JSON.stringify to call `toJSON` on: the same text on the wire, but a statistics answer with
 * 1,550 points was stringified in 3.9 ms instead of about 0.6 ms for the same data as strings.
 */
export const DateTime = new GraphQLScalarType({
  ...GraphQLDateTime.toConfig(),
  serialize: (value) => (GraphQLDateTime.serialize(value) as Date).toISOString(),
});

/** Loads an entity for a supergraph's `_entities` query: the object its type's resolvers expect, or null. */
export type ReferenceResolver = (reference: { id: string }, context: never) => unknown;

export interface SchemaOptions {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  resolvers: NonEmptyArray<Function>;
  /** Resolver instances by class, built with plain constructors in the composition root. */
  instances: Map<unknown, unknown>;
  authChecker: AuthChecker<never, never>;
  /** Entity types (`@key(fields: "id")`) by name, and how to load one by reference. */
  entities?: Record<string, ReferenceResolver>;
}

/**
 * Builds the executable schema from the resolver classes (Date fields use the `DateTime`
 * scalar) as an Apollo Federation 2 subgraph: the types marked `@key` can be joined into a
 * supergraph's own types through `_entities`, and `_service { sdl }` tells a router the schema.
 * `sdl` is the subgraph's own SDL, sorted (types and fields), as committed in schema/schema.graphql.
 */
export function buildGraphQLSchema(options: SchemaOptions): { schema: GraphQLSchema; sdl: string } {
  const base = buildTypeGraphQLSchema(options);
  const resolvers = createResolversMap(base) as GraphQLResolverMap<unknown>;
  for (const [type, resolveReference] of Object.entries(options.entities ?? {})) {
    resolvers[type] = { ...(resolvers[type] as object), __resolveReference: resolveReference } as GraphQLResolverMap<unknown>[string];
  }
  const sdl = `${FEDERATION_LINK}\n\n${printSchemaWithDirectives(lexicographicSortSchema(base)).trim()}\n`;
  return { schema: buildSubgraphSchema([{ typeDefs: parse(sdl), resolvers }]), sdl };
}

function buildTypeGraphQLSchema(options: SchemaOptions): GraphQLSchema {
  return buildSchemaSync({
    resolvers: options.resolvers,
    container: {
      get: (cls: unknown) => {
        const instance = options.instances.get(cls);
        if (!instance) throw new Error(`No resolver instance registered for ${(cls as { name?: string }).name}`);
        return instance;
      },
    },
    authChecker: options.authChecker as AuthChecker,
    scalarsMap: [{ type: Date, scalar: DateTime }],
    validate: false,
    // The federation directives (@key) are defined by the subgraph build, not here.
    skipCheck: true,
    // Every subscription brings its own `subscribe` (the live feeds); topic-based ones are not used.
    pubSub: {
      publish: () => {
        throw new Error('type-graphql topics are not used: publish through the live feed');
      },
      subscribe: () => {
        throw new Error('type-graphql topics are not used: give the subscription a subscribe function');
      },
    },
  });
}
