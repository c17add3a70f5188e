export * from './data-source';
export * from './dialect';
export * from './transaction';
