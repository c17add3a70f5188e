/**
 * The service under test as a process of its own, as it is deployed (`npm start`: the tsc
 * build, NODE_ENV=production), so no benchmark code shares its event loop, heap or garbage
 * collector. The build goes to node_modules/.cache/fd-bench-build, not dist/, so a benchmark
 * never replaces files that something else may be running.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const BUILD_DIR = path.join(ROOT, 'node_modules', '.cache', 'fd-bench-build');

/** Compiles the service with tsconfig.build.json (what `npm run build` does for the server); returns its entry point. */
export function buildService(): string {
  const entry = path.join(BUILD_DIR, 'src', 'main.js');
  fs.rmSync(BUILD_DIR, { recursive: true, force: true });
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', BUILD_DIR], { cwd: ROOT, stdio: 'pipe' });
  } catch (error) {
    // tsc still emits on type errors; only a missing output is fatal.
    if (!fs.existsSync(entry)) throw error;
    process.stdout.write(`warning: tsc reported errors, benchmarking what it emitted:\n${String((error as { stdout?: Buffer }).stdout ?? '').slice(0, 2_000)}\n`);
  }
  return entry;
}
/**
 * The node flags of `npm start` (package.json's start script, between `node` and the entry
 * point), so the benchmarked process runs as the deployed one does.
 */
export function startScriptNodeFlags(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts?: { start?: string } };
  const words = (pkg.scripts?.start ?? '').trim().split(/\s+/);
  if (words[0] !== 'node') return [];
  return words.slice(1, -1).filter((word) => word.startsWith('--'));
}

const START_TIMEOUT_MS = 60_000; // migrations on a fresh database included
const STOP_TIMEOUT_MS = 30_000;

export interface ServiceProcess {
  url: string;
  pid: number;
  /** SIGTERM (the service drains and exits 0), then waits for the exit. */
  stop(): Promise<void>;
}

/**
 * Starts the service: `entry` is a built main.js (see buildService), or undefined for the
 * TypeScript sources through tsx (`node --import tsx src/main.ts`), with the node flags of
 * `npm start` (see startScriptNodeFlags) and then `nodeArgs`; `outputFile` keeps its stdout and
 * stderr (e.g. for --trace-gc).
 */
export function startServiceProcess(env: Record<string, string>, options: { entry?: string; nodeArgs?: string[]; outputFile?: string } = {}): Promise<ServiceProcess> {
  const program = options.entry ? [options.entry] : ['--import', 'tsx', path.join(ROOT, 'src', 'main.ts')];
  const child: ChildProcess = spawn(process.execPath, [...startScriptNodeFlags(), ...(options.nodeArgs ?? []), ...program], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'info', PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  if (options.outputFile) {
    const file = fs.createWriteStream(options.outputFile);
    child.stdout!.pipe(file);
    child.stderr!.pipe(file);
  }
  let output = '';
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const code = await exited;
    clearTimeout(timer);
    if (code !== 0) throw new Error(`service process exited with ${code}:\n${output.slice(-2_000)}`);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`service did not listen within ${START_TIMEOUT_MS} ms:\n${output}`));
    }, START_TIMEOUT_MS);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"port":(\d+)[^\n]*failure desk listening/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ url: `http://127.0.0.1:${match[1]}/graphql`, pid: child.pid!, stop });
      }
      if (output.length > 100_000) output = output.slice(-50_000);
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`service process exited (${code}) before listening:\n${output}`));
    });
  });
}
