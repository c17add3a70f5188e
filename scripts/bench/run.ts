/**
 * Runs a benchmark's main(): its exit code, or 1 with the stack when it throws; `cleanUp` (drop
 * the databases, stop the processes it started) runs either way before the process exits.
 */
export function runBenchmark(main: () => Promise<number>, cleanUp: () => Promise<void>): void {
  main()
    .then(
      (code) => code,
      (error: unknown) => {
        process.stdout.write(`\nbenchmark failed: ${(error as Error).stack ?? String(error)}\n`);
        return 1;
      },
    )
    .then(async (code) => {
      await cleanUp();
      process.exit(code);
    });
}
