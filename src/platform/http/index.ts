export * from './http-app';
export * from './ws-server';
