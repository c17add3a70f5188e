/**
 * CPU profiling for the live benchmark: the server child records a V8 CPU profile over the
 * measured window only (inspector session started at `mark`, stopped at `stats`), and the
 * parent prints where the time went, by function (self time) and by package.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Starts and stops V8's sampling profiler in this process. */
export class WindowProfiler {
  private readonly session = new Session();
  private running = false;

  constructor(private readonly dir: string) {
    this.session.connect();
  }

  private post<T>(method: string, params?: Record<string, unknown>): Promise<T> {
    return new Promise((resolve, reject) => this.session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T))));
  }

  async start(): Promise<void> {
    await this.post('Profiler.enable');
    await this.post('Profiler.setSamplingInterval', { interval: 500 }); // µs
    await this.post('Profiler.start');
    this.running = true;
  }

  /** Stops the profiler and writes the profile; returns its path. */
  async stop(name: string): Promise<string | undefined> {
    if (!this.running) return undefined;
    this.running = false;
    const { profile } = await this.post<{ profile: Profile }>('Profiler.stop');
    fs.mkdirSync(this.dir, { recursive: true });
    const file = path.join(this.dir, `${name}-${process.pid}-${Date.now()}.cpuprofile`);
    fs.writeFileSync(file, JSON.stringify(profile));
    return file;
  }
}

/** Where a frame's code lives: a package, the app's own source, node internals, or V8 itself. */
function ownerOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native / V8 builtins)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const src = /\/(src|scripts)\/(.+)$/.exec(url);
  if (src) return `${src[1]}/${src[2]!.split('/').slice(0, -1).join('/') || '.'}`;
  return url;
}

/** Lines describing the profile: total sampled time, then self time by package and by function. */
export function summarizeCpuProfile(file: string, top = 25): string[] {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const totalUs = profile.endTime - profile.startTime;
  const idleUs = [...self].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0);
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  for (const [id, us] of self) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') continue;
    const short = frame.url.replace(/^.*node_modules\//, '').replace(/^.*\/(src|scripts)\//, '$1/').replace(/^file:\/\//, '');
    const key = `${frame.functionName || '(anonymous)'}  ${short ? `${short}:${frame.lineNumber + 1}` : ''}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const owner = ownerOf(frame.url, frame.functionName);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const share = (us: number) => `${((us / busyUs) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms`;
  const lines = [`sampled ${(totalUs / 1e6).toFixed(1)} s, of which busy (not idle) ${(busyUs / 1e6).toFixed(1)} s; shares below are of the busy time (self time)`, 'by package / area:'];
  for (const [owner, us] of [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, 15)) lines.push(`  ${share(us)}  ${owner}`);
  lines.push(`top ${top} functions:`);
  for (const [fn, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${share(us)}  ${fn}`);
  return lines;
}
