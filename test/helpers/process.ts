import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { TEST_ADMIN_TOKEN } from './test-app';

const ROOT = path.join(__dirname, '..', '..');

/** Starts `src/main.ts` as a real process; resolves with its port once it logs that it listens. */
export function startProcess(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  // `node --import tsx`, not the tsx CLI: the CLI runs the program in a child process, so a signal
  // to it (SIGKILL above all) would not reach the server.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'main.ts')], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'info', PORT: '0', HOST: '127.0.0.1', ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"port":(\d+)[^\n]*failure desk listening/.exec(output);
      if (match) resolve({ child, url: `http://127.0.0.1:${match[1]}/graphql`, exited });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`process exited (${code}) before listening:\n${output}`)));
  });
}

