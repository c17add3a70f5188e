export * from './bounded-stream';
export * from './event-bus';
