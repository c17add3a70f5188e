import type { Logger } from 'pino';

/**
 * Runs `work` every `intervalMs`, never two runs at once; `stop` waits for a run in flight.
 * For sweeps that many instances may run: the work itself must claim rows safely.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly work: () => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Runs once now (tests, or after an event that makes the work due). */
  async runNow(): Promise<void> {
    await this.running;
    this.running = this.work()
      .then(() => undefined)
      .catch((error: unknown) => this.logger.warn({ err: error, task: this.name }, 'periodic task failed'));
    await this.running;
    this.running = undefined;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(async () => {
      await this.runNow();
      this.schedule();
    }, this.intervalMs);
    this.timer.unref();
  }
}
