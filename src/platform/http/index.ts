export * from './http-app';
export * from './ws-server';
export * from './console-route';
export * from './graphql-fast-path';
