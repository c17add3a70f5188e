import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, parse } from 'graphql';
import type { WebSocket } from 'ws';
import { DirectDelivery } from '../../../src/platform/http/direct-delivery';
import { BoundedStream } from '../../../src/platform/pubsub';

type Item = { seq: number };

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLInt } } }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: { events: { type: new GraphQLNonNull(new GraphQLObjectType({ name: 'Event', fields: { seq: { type: new GraphQLNonNull(GraphQLInt) } } })), resolve: (item: Item) => item } },
  }),
});
const document = parse('subscription { events { seq } }');

/** A socket as far as DirectDelivery uses it: open, reading, no extension; whole writes recorded as text. */
function fakeSocket(): { socket: WebSocket; writes: string[] } {
  const writes: string[] = [];
  const raw = { destroyed: false, write: (buffer: Buffer) => void writes.push(buffer.toString('latin1')) };
  const socket = { readyState: 1, bufferedAmount: 0, extensions: '', _socket: raw } as unknown as WebSocket;
  return { socket, writes };
}

/** The `seq` of every frame in one write. */
function seqs(write: string): number[] {
  return [...write.matchAll(/"seq":(\d+)/g)].map((m) => Number(m[1]));
}

const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve));

function deliveryTo(flushIntervalMs: number) {
  const delivery = new DirectDelivery({ bufferLimit: 1_000, flushIntervalMs, formatError: (e) => e, closeAsSlow: () => undefined, delivered: () => undefined });
  const sockets = [fakeSocket(), fakeSocket()];
  const streams = sockets.map(({ socket }, i) => {
    const stream = new BoundedStream<Item>(1_000, () => undefined, () => undefined);
    delivery.subscribe(stream, { schema, document }, 'events', socket, `op-${i}`);
    return stream;
  });
  const push = (seq: number) => streams.forEach((stream) => stream.push({ seq }));
  return { sockets, push };
}

describe('DirectDelivery flushes', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('writes the first event after a quiet spell at once and gathers those that follow within the interval into one write per socket', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    const { sockets, push } = deliveryTo(20);
    push(1);
    await nextTick();
    expect(sockets.map((s) => s.writes.map(seqs))).toEqual([[[1]], [[1]]]);

    // Events arriving one callback each, as Redis messages or hand-overs do.
    for (const seq of [2, 3, 4]) {
      push(seq);
      await nextTick();
      jest.advanceTimersByTime(5);
    }
    expect(sockets.map((s) => s.writes.length)).toEqual([1, 1]);
    jest.advanceTimersByTime(5); // 20 ms after the first write
    expect(sockets.map((s) => s.writes.map(seqs))).toEqual([
      [[1], [2, 3, 4]],
      [[1], [2, 3, 4]],
    ]);

    jest.advanceTimersByTime(50); // quiet again: the next event goes out at once
    push(5);
    await nextTick();
    expect(sockets.map((s) => s.writes.map(seqs).at(-1))).toEqual([[5], [5]]);
  });

  it('writes each callback’s events separately without an interval', async () => {
    const { sockets, push } = deliveryTo(0);
    for (const seq of [1, 2, 3]) {
      push(seq);
      await nextTick();
    }
    expect(sockets.map((s) => s.writes.map(seqs))).toEqual([
      [[1], [2], [3]],
      [[1], [2], [3]],
    ]);
  });
});

describe('DirectDelivery flush observer', () => {
  it('reports each flush’s events with the number of sockets each was written to', async () => {
    const flushes: Array<{ written: Array<{ item: unknown; sockets: number }>; startedAt: number; endedAt: number }> = [];
    const delivery = new DirectDelivery({
      bufferLimit: 1_000,
      flushIntervalMs: 0,
      formatError: (e) => e,
      closeAsSlow: () => undefined,
      delivered: () => undefined,
      onFlush: (written, startedAt, endedAt) => flushes.push({ written: [...written], startedAt, endedAt }),
    });
    const open = [fakeSocket(), fakeSocket()];
    const closed = fakeSocket();
    (closed.socket as { readyState: number }).readyState = 3; // CLOSED: nothing is written to it
    const streams = [...open, closed].map(({ socket }, i) => {
      const stream = new BoundedStream<Item>(1_000, () => undefined, () => undefined);
      delivery.subscribe(stream, { schema, document }, 'events', socket, `op-${i}`);
      return stream;
    });
    const first = { seq: 1 };
    const second = { seq: 2 };
    for (const item of [first, second]) streams.forEach((stream) => stream.push(item));
    await nextTick();
    const third = { seq: 3 };
    streams[0]!.push(third);
    await nextTick();

    expect(flushes.map((f) => f.written)).toEqual([
      [
        { item: first, sockets: 2 },
        { item: second, sockets: 2 },
      ],
      [{ item: third, sockets: 1 }],
    ]);
    for (const { startedAt, endedAt } of flushes) expect(endedAt).toBeGreaterThanOrEqual(startedAt);
    expect(open.map((s) => s.writes.map(seqs))).toEqual([[[1, 2], [3]], [[1, 2]]]);
    expect(closed.writes).toEqual([]);
  });
});
