import { type GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { GraphQLDateTime } from 'graphql-scalars';
import { type AuthChecker, type NonEmptyArray, buildSchemaSync } from 'type-graphql';

export interface SchemaOptions {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  resolvers: NonEmptyArray<Function>;
  /** Resolver instances by class, built with plain constructors in the composition root. */
  instances: Map<unknown, unknown>;
  authChecker: AuthChecker<never, never>;
}

/** Builds the executable schema from the resolver classes; Date fields use the `DateTime` scalar. */
export function buildGraphQLSchema(options: SchemaOptions): GraphQLSchema {
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
    scalarsMap: [{ type: Date, scalar: GraphQLDateTime }],
    validate: false,
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

/** The SDL as committed in schema/schema.graphql: types and fields sorted, so diffs stay small. */
export function printSortedSchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
