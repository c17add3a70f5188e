/**
 * The HTTP load generator of load-worker.ts in a process of its own, so that its CPU time is not
 * the measured service's: started by runLoadInProcess() with tsx, one request per message.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { type LoadRequest, type LoadResponse, runLoad } from './load-worker';

/** Runs one load in a child process and waits for its result. */
export function runLoadInProcess(request: LoadRequest): Promise<LoadResponse> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'load-process.ts'), ['--child'], { execArgv: ['--require', require.resolve('tsx/cjs')], stdio: 'inherit' });
    let settled = false;
    child.once('message', (message: LoadResponse | { fatal: string }) => {
      settled = true;
      child.kill();
      if ('fatal' in message) reject(new Error(`load process failed: ${message.fatal}`));
      else resolve(message);
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (!settled) reject(new Error(`load process exited with code ${code} before reporting`));
    });
    child.send(request);
  });
}

if (process.argv.includes('--child') && process.send) {
  process.once('message', (request: LoadRequest) => {
    runLoad(request).then(
      (result) => process.send!(result),
      (error: unknown) => process.send!({ fatal: (error as Error).stack ?? String(error) }),
    );
  });
}
