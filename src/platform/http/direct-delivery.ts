import type { Socket } from 'node:net';
import { type ExecutionArgs, type ExecutionResult, GraphQLError, execute } from 'graphql';
import type { WebSocket } from 'ws';
import type { DirectStream } from '../pubsub';

export interface DirectDeliveryOptions {
  /**
   * A socket whose unsent bytes, at the start of a tick, exceed this many messages of the size
   * being sent is too slow: `closeAsSlow` runs and it gets nothing more.
   */
  bufferLimit: number;
  /**
   * Least time between two writes to the sockets, in ms (0: none). The first event after a
   * quiet spell goes out at once; events that follow within this time wait for it and go out
   * together, so a socket gets at most one write per interval however the events arrive.
   */
  flushIntervalMs: number;
  formatError(error: GraphQLError): GraphQLError;
  closeAsSlow(socket: WebSocket): void;
  /** Counts `next` messages handed to sockets (called once per tick with the tick's count). */
  delivered(count: number): void;
  /**
   * Instrumentation, off unless given (the live benchmark sets it): after each flush, the events
   * it wrote, each with the number of sockets it went to, and the wall-clock time (Date.now())
   * when the flush started and when its last socket write returned. Costs one call per flush.
   */
  onFlush?: FlushObserver;
}

/** See `DirectDeliveryOptions.onFlush`. */
export type FlushObserver = (written: ReadonlyArray<{ item: unknown; sockets: number }>, startedAt: number, endedAt: number) => void;

/**
 * Delivers subscription events straight from the fan-out to the sockets, without an async
 * iterator chain per subscriber. Subscribers running the same operation (query text,
 * variables, operation name) share one `SharedOperation`: each event is executed and
 * serialised once for all of them, and each socket gets only its own
 * `{"id":…,"type":"next","payload":` envelope around the shared bytes. The frames a socket
 * gets until the next flush (a "tick" below) are written together as one buffer: one syscall
 * however many events that carried. The flush runs at process.nextTick (once the callback that
 * made the frames and its promise jobs are done; not setImmediate, which on a busy server
 * waits behind every I/O callback of the loop iteration) unless the last one was less than
 * `flushIntervalMs` ago, when it runs that much after the last: events that arrive one
 * callback each (Redis messages, commits handed over one by one) share a write instead of
 * costing every socket a syscall each. A socket that stops reading is noticed by its unsent
 * bytes (`ws.bufferedAmount`), not by a queue per subscriber.
 *
 * graphql-ws still runs the protocol (connection_init, subscribe, complete, ping, errors): it
 * holds the iterator `subscribe` returns, which yields nothing and ends with the subscription.
 * Its own messages first flush what is pending for that socket (`beforeSend`), so a socket
 * sees every message in the order it was made.
 */
export class DirectDelivery {
  private readonly outputs = new WeakMap<WebSocket, SocketOutput>();
  private readonly operations = new Map<string, SharedOperation>();
  private readonly touched: SocketOutput[] = [];
  private flushScheduled = false;
  /** performance.now() of the last flush. */
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private deliveredInTick = 0;
  /** Events written in this tick, for `onFlush` only (see `counted`). */
  private readonly tickBatches: Batch[] = [];
  private tick = 0;

  constructor(private readonly options: DirectDeliveryOptions) {}

  /**
   * Sends every item of `stream` to subscription `id` on `socket`, executed with `args` (the
   * first subscriber's, shared by every subscriber with the same `key`). Returns the iterator
   * for graphql-ws: it settles `done` when the stream ends, and `return()` ends the stream.
   */
  subscribe(stream: DirectStream<unknown>, args: ExecutionArgs, key: string, socket: WebSocket, id: string): AsyncIterableIterator<ExecutionResult> {
    let operation = this.operations.get(key);
    if (!operation) {
      operation = new SharedOperation(args, this.options.formatError);
      this.operations.set(key, operation);
    }
    const subscriber = new Subscriber(this, this.output(socket), Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`));
    operation.subscribers.add(subscriber);
    const shared = operation;
    const leave = (): void => {
      if (!subscriber.active) return;
      subscriber.active = false;
      shared.subscribers.delete(subscriber);
      if (shared.subscribers.size === 0 && this.operations.get(key) === shared) this.operations.delete(key);
    };
    stream.attach((item) => shared.offer(item, subscriber));
    const done: IteratorReturnResult<undefined> = { done: true, value: undefined };
    const iterator: AsyncIterableIterator<ExecutionResult> = {
      next: async () => {
        await stream.next(); // attached: settles only when the stream ends
        leave();
        return done;
      },
      return: async () => {
        leave();
        await stream.return?.();
        return done;
      },
      throw: async (error?: unknown) => {
        leave();
        await stream.return?.();
        throw error;
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Distinct operations being delivered. */
  get operationCount(): number {
    return this.operations.size;
  }

  /** Call before anything else is sent on `socket`: writes its pending frames first. */
  beforeSend(socket: WebSocket): void {
    const output = this.outputs.get(socket);
    if (output?.frames?.length) this.writeOut(output);
  }

  /** Queues one `next` message for this tick's write; the payload's size scales the slow-consumer limit. False: not sent. */
  write(output: SocketOutput, prefix: Buffer, payload: Buffer): boolean {
    const socket = output.socket;
    if (socket.readyState !== 1) return false; // OPEN
    if (!output.frames) {
      // What is still unsent from earlier ticks is what the client did not read.
      if (socket.bufferedAmount > this.options.bufferLimit * payload.length) {
        this.options.closeAsSlow(socket);
        return false;
      }
      output.frames = [];
      this.touched.push(output);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        const waitMs = this.lastFlushAt + this.options.flushIntervalMs - performance.now();
        if (waitMs > 0) setTimeout(this.flush, waitMs);
        else process.nextTick(this.flush);
      }
    }
    if (output.raw) output.frames.push(frameHeader(prefix.length + payload.length + 1), prefix, payload, CLOSING_BRACE);
    else socket.send(Buffer.concat([prefix, payload, CLOSING_BRACE]), { binary: false });
    this.deliveredInTick++;
    return true;
  }

  /** One socket got `batch`'s event in this tick (counted only for `onFlush`). */
  counted(batch: Batch): void {
    if (!this.options.onFlush) return;
    if (batch.tick !== this.tick) {
      batch.tick = this.tick;
      batch.sockets = 0;
      this.tickBatches.push(batch);
    }
    batch.sockets++;
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    this.lastFlushAt = performance.now();
    const startedAt = this.options.onFlush ? Date.now() : 0;
    for (const output of this.touched) {
      if (output.frames!.length) this.writeOut(output);
      output.frames = undefined;
    }
    this.touched.length = 0;
    this.tick++;
    if (this.tickBatches.length > 0) {
      const written = this.tickBatches.map((batch) => ({ item: batch.item, sockets: batch.sockets }));
      this.tickBatches.length = 0;
      this.options.onFlush!(written, startedAt, Date.now());
    }
    if (this.deliveredInTick > 0) {
      const count = this.deliveredInTick;
      this.deliveredInTick = 0;
      this.options.delivered(count);
    }
  };

  private writeOut(output: SocketOutput): void {
    const frames = output.frames!;
    output.frames = [];
    // After a close frame nothing may follow; a closing socket gets no more data.
    if (output.socket.readyState !== 1 || output.raw!.destroyed) return;
    output.raw!.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
  }

  private output(socket: WebSocket): SocketOutput {
    let output = this.outputs.get(socket);
    if (!output) {
      // Whole frames go straight to ws's net.Socket (`_socket`) when no extension transforms
      // them (permessage-deflate is off); otherwise each message goes through ws.send.
      const raw = (socket as unknown as { _socket?: Socket })._socket;
      output = { socket, raw: socket.extensions === '' && typeof raw?.write === 'function' ? raw : undefined, frames: undefined };
      this.outputs.set(socket, output);
    }
    return output;
  }
}

interface SocketOutput {
  readonly socket: WebSocket;
  readonly raw: Socket | undefined;
  /** This tick's frames (header, envelope, payload, brace, …); undefined outside a tick. */
  frames: Buffer[] | undefined;
}

const CLOSING_BRACE = Buffer.from('}');
const headers = new Map<number, Buffer>();

/** The header of an unmasked, final text frame (RFC 6455 §5.2) of `length` bytes. */
function frameHeader(length: number): Buffer {
  let header = headers.get(length);
  if (header) return header;
  if (length < 126) header = Buffer.from([0x81, length]);
  else if (length < 65_536) header = Buffer.from([0x81, 126, length >> 8, length & 0xff]);
  else {
    header = Buffer.alloc(10);
    header[0] = 0x81;
    header[1] = 127;
    header.writeUIntBE(length, 4, 6);
  }
  if (headers.size >= 4_096) headers.clear();
  headers.set(length, header);
  return header;
}

class Subscriber {
  active = true;

  constructor(
    private readonly delivery: DirectDelivery,
    private readonly output: SocketOutput,
    private readonly prefix: Buffer,
  ) {}

  send(batch: Batch): void {
    if (this.active && this.delivery.write(this.output, this.prefix, batch.payload!)) this.delivery.counted(batch);
  }
}

/** One event's result for one operation, and the subscribers waiting for it. */
interface Batch {
  item: unknown;
  payload: Buffer | undefined;
  /** Set while the result is not out yet (async execution, or an earlier event still running). */
  waiting: Subscriber[] | undefined;
  /** For `onFlush`: the delivery tick this batch was last counted in, and its sockets in that tick. */
  tick: number;
  sockets: number;
}

/**
 * The subscribers of one distinct operation. Each event is executed once (with the first
 * subscriber's arguments) and serialised once; results go out in event order even when an
 * execution is asynchronous.
 */
class SharedOperation {
  readonly subscribers = new Set<Subscriber>();
  private latest: Batch | undefined;
  private pending = 0;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly args: ExecutionArgs,
    private readonly formatError: (error: GraphQLError) => GraphQLError,
  ) {}

  /** The fan-out offers each event to every matching subscriber in turn, one event at a time. */
  offer(item: unknown, subscriber: Subscriber): void {
    let batch = this.latest;
    if (!batch || batch.item !== item) batch = this.start(item);
    if (batch.waiting) batch.waiting.push(subscriber);
    else subscriber.send(batch);
  }

  private start(item: unknown): Batch {
    const batch: Batch = { item, payload: undefined, waiting: undefined, tick: -1, sockets: 0 };
    this.latest = batch;
    let result: ReturnType<typeof execute>;
    try {
      result = execute({ ...this.args, rootValue: item });
    } catch (error) {
      result = { errors: [error instanceof GraphQLError ? error : new GraphQLError(String((error as Error)?.message ?? error))] };
    }
    if (!isPromiseLike(result) && this.pending === 0) {
      batch.payload = this.serialise(result);
      return batch;
    }
    batch.waiting = [];
    this.pending++;
    const payload = Promise.resolve(result).then(
      (value) => this.serialise(value),
      (error: unknown) => this.serialise({ errors: [new GraphQLError(String((error as Error)?.message ?? error))] }),
    );
    this.chain = this.chain
      .then(() => payload)
      .then((bytes) => {
        this.pending--;
        batch.payload = bytes;
        const waiting = batch.waiting!;
        batch.waiting = undefined;
        if (this.latest === batch) this.latest = undefined; // let the item go
        for (const subscriber of waiting) subscriber.send(batch);
      });
    return batch;
  }

  private serialise(result: ExecutionResult): Buffer {
    return Buffer.from(JSON.stringify(result.errors ? { ...result, errors: result.errors.map(this.formatError) } : result));
  }
}

function isPromiseLike<T>(value: unknown): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
