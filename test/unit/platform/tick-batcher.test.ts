import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { TickBatcher } from '../../../src/platform/tick-batcher';

describe('TickBatcher', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('runs once for everything added within one tick, in the order it was added', async () => {
    const runs: number[][] = [];
    const batcher = new TickBatcher<number>(async (items) => {
      runs.push(items);
    });
    await Promise.all([batcher.add([1, 2]), batcher.add([3]), Promise.resolve().then(() => batcher.add([4]))]);
    await batcher.add([5]);
    expect(runs).toEqual([[1, 2, 3, 4], [5]]);
  });

  it('keeps one run in flight: items added in later ticks meanwhile go together in the next run, started when it ends', async () => {
    const runs: number[][] = [];
    let release!: () => void;
    const first = new Promise<void>((resolve) => (release = resolve));
    const batcher = new TickBatcher<number>(async (items) => {
      runs.push(items);
      if (runs.length === 1) await first;
    });
    const added = [batcher.add([1])];
    for (const item of [2, 3, 4]) {
      await new Promise((resolve) => setImmediate(resolve)); // a callback of its own, as a commit's hand-over is
      added.push(batcher.add([item]));
    }
    expect(runs).toEqual([[1]]);
    release();
    await Promise.all(added);
    expect(runs).toEqual([[1], [2, 3, 4]]);
  });

  it('starts runs at least the interval apart: the first item after a quiet spell at once, later ones together when the interval is up', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    const runs: number[][] = [];
    const batcher = new TickBatcher<number>(async (items) => void runs.push(items), 50);
    await batcher.add([1]);
    const added: Array<Promise<void>> = [];
    for (const item of [2, 3]) {
      jest.advanceTimersByTime(10);
      added.push(batcher.add([item]));
      await new Promise((resolve) => process.nextTick(resolve));
    }
    expect(runs).toEqual([[1]]);
    jest.advanceTimersByTime(30); // 50 ms after the first run
    await Promise.all(added);
    expect(runs).toEqual([[1], [2, 3]]);
    jest.advanceTimersByTime(100); // quiet: the next one runs at once
    await batcher.add([4]);
    expect(runs).toEqual([[1], [2, 3], [4]]);
  });

  it('fails every caller of a batch whose run fails, and starts the next batch afresh', async () => {
    let fail = true;
    const batcher = new TickBatcher<string>(async (items) => {
      if (fail) throw new Error(`lost ${items.join(',')}`);
    });
    const results = await Promise.allSettled([batcher.add(['a']), batcher.add(['b'])]);
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'ok'))).toEqual(['lost a,b', 'lost a,b']);
    fail = false;
    await expect(batcher.add(['c'])).resolves.toBeUndefined();
  });
});
