/** Steady-rate sending for the live benchmark, shared by the reporter and the bare broadcast server. */
import { performance } from 'node:perf_hooks';

/**
 * Calls `send(seq)` for seq 0..count-1, message i due at i/rate seconds after the start. A late
 * timer catches up at once (so the offered rate holds on average even on a busy event loop);
 * `send` is not awaited. Resolves with the wall-clock (Date.now) times of the first and last call.
 */
export function paced(count: number, rate: number, send: (seq: number) => void): Promise<{ firstAt: number; lastAt: number }> {
  return new Promise((resolve) => {
    const start = performance.now();
    let next = 0;
    let firstAt = 0;
    let lastAt = 0;
    const tick = (): void => {
      const due = Math.min(count, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
      while (next < due) {
        lastAt = Date.now();
        if (next === 0) firstAt = lastAt;
        send(next++);
      }
      if (next >= count) {
        resolve({ firstAt, lastAt });
        return;
      }
      setTimeout(tick, Math.max(0, (next * 1000) / rate - (performance.now() - start)));
    };
    tick();
  });
}
