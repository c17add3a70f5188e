export * from './build-schema';
export * from './format-error';
export * from './pagination';
export * from './query-limits';
