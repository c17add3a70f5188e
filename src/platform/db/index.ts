export * from './data-source';
export * from './dialect';
export * from './transaction';
export { runPipelined, settleAll } from './statement-pipeline';
