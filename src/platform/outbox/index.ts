export * from './backoff';
export * from './outbox.entity';
export * from './outbox.errors';
export * from './outbox.worker';
