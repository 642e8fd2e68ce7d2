/**
 * What a start-up has opened, closed in the reverse order on stop or on a failed start. Each step runs once even
 * if `run` is called again (Ctrl-C twice, a stop after a failed start); a failing step does not keep the rest open.
 */
export type Shutdown = { add(step: () => Promise<void>): void; run(): Promise<void> };

export function createShutdown(): Shutdown {
  const steps: (() => Promise<void>)[] = [];
  let running: Promise<void> | undefined;
  return {
    add(step) {
      steps.push(step);
    },
    run() {
      running ??= (async () => {
        for (const step of steps.reverse()) await step().catch(() => undefined);
      })();
      return running;
    },
  };
}
