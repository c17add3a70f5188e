import { describe, expect, it } from '@jest/globals';
import { TickBatcher } from '../../../src/platform/tick-batcher';

describe('TickBatcher', () => {
  it('runs once for everything added within one tick, in the order it was added', async () => {
    const runs: number[][] = [];
    const batcher = new TickBatcher<number>(async (items) => {
      runs.push(items);
    });
    await Promise.all([batcher.add([1, 2]), batcher.add([3]), Promise.resolve().then(() => batcher.add([4]))]);
    await batcher.add([5]);
    expect(runs).toEqual([[1, 2, 3, 4], [5]]);
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
