/** Runs load-worker.ts in a worker thread (through tsx's require hook) and waits for its result. */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LoadRequest, LoadResponse } from './load-worker';

const WORKER_FILE = path.join(__dirname, 'load-worker.ts');

export function runLoadInWorker(request: LoadRequest): Promise<LoadResponse> {
  // tsx does not hook worker threads by itself: load its CommonJS hook first, then the TypeScript file.
  const bootstrap = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(WORKER_FILE)});`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(bootstrap, { eval: true, workerData: { benchLoadWorker: true, request } });
    let settled = false;
    worker.once('message', (message: LoadResponse | { fatal: string }) => {
      settled = true;
      void worker.terminate();
      if ('fatal' in message) reject(new Error(`load worker failed: ${message.fatal}`));
      else resolve(message);
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`load worker exited with code ${code} before reporting`));
    });
  });
}
