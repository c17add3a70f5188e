import { describe, expect, it } from '@jest/globals';
import { GroupCommit } from '../../../src/ingestion/group-commit';
import { type Deferred, deferred } from '../../helpers/deferred';

/** A write function that records each call and finishes only when the test says so. */
function controlledWrites() {
  const calls: Array<{ items: number[]; done: Deferred<string> }> = [];
  const write = (items: number[]) => {
    const done = deferred<string>();
    calls.push({ items, done });
    return done.promise;
  };
  return { calls, write };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  it('writes a caller at once when nothing is in flight', async () => {
    const { calls, write } = controlledWrites();
    const commits = new GroupCommit(write, 4, 10);
    const result = commits.submit([1, 2]);
    expect(calls.map((c) => c.items)).toEqual([[1, 2]]);
    calls[0]!.done.resolve('first');
    await expect(result).resolves.toBe('first');
  });

  it('puts the callers that arrive during a write together into the next one', async () => {
    const { calls, write } = controlledWrites();
    const commits = new GroupCommit(write, 4, 10);
    const first = commits.submit([1]);
    const second = commits.submit([2, 3]);
    const third = commits.submit([4]);
    expect(calls).toHaveLength(1);
    calls[0]!.done.resolve('a');
    await first;
    await flush();
    expect(calls.map((c) => c.items)).toEqual([[1], [2, 3, 4]]);
    calls[1]!.done.resolve('b');
    await expect(Promise.all([second, third])).resolves.toEqual(['b', 'b']);
  });

  it('starts a second write only when a full write is waiting', async () => {
    const { calls, write } = controlledWrites();
    const commits = new GroupCommit(write, 2, 4);
    void commits.submit([1]);
    void commits.submit([2, 3]);
    expect(calls).toHaveLength(1);
    void commits.submit([4, 5]);
    expect(calls.map((c) => c.items)).toEqual([[1], [2, 3, 4, 5]]);
    void commits.submit([6, 7, 8, 9]);
    expect(calls).toHaveLength(2); // at the limit of two writes in flight
    calls[0]!.done.resolve('x');
    await flush();
    expect(calls.map((c) => c.items)).toEqual([[1], [2, 3, 4, 5], [6, 7, 8, 9]]);
  });

  it('starts a write beside the one in flight once a big enough one waits, without waiting to fill it', async () => {
    const { calls, write } = controlledWrites();
    const commits = new GroupCommit(write, 3, 6, 3);
    void commits.submit([1]);
    void commits.submit([2, 3]);
    expect(calls).toHaveLength(1); // 2 waiting: small callers still wait to go together
    void commits.submit([4]);
    expect(calls.map((c) => c.items)).toEqual([[1], [2, 3, 4]]);
    void commits.submit([5, 6, 7]);
    expect(calls.map((c) => c.items)).toEqual([[1], [2, 3, 4], [5, 6, 7]]);
    void commits.submit([8, 9, 10]);
    expect(calls).toHaveLength(3); // at the limit of three writes in flight
    void commits.submit([11]);
    calls[0]!.done.resolve('x');
    await flush();
    expect(calls.map((c) => c.items)).toEqual([[1], [2, 3, 4], [5, 6, 7], [8, 9, 10, 11]]);
  });

  it('sends a caller larger than a write alone and whole', async () => {
    const { calls, write } = controlledWrites();
    const commits = new GroupCommit(write, 1, 3);
    void commits.submit([1]);
    void commits.submit([2, 3, 4, 5]);
    void commits.submit([6]);
    calls[0]!.done.resolve('x');
    await flush();
    calls[1]!.done.resolve('y');
    await flush();
    expect(calls.map((c) => c.items)).toEqual([[1], [2, 3, 4, 5], [6]]);
  });

  it('fails every caller of a failed write, and the next write still goes', async () => {
    const { calls, write } = controlledWrites();
    const commits = new GroupCommit(write, 1, 10);
    void commits.submit([0]);
    const a = commits.submit([1]);
    const b = commits.submit([2]);
    calls[0]!.done.resolve('x');
    await flush();
    calls[1]!.done.reject(new Error('deadlock'));
    await expect(a).rejects.toThrow('deadlock');
    await expect(b).rejects.toThrow('deadlock');
    const c = commits.submit([3]);
    await flush();
    calls[2]!.done.resolve('z');
    await expect(c).resolves.toBe('z');
  });
});
