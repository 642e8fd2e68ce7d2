/** Runs a pass every interval (never two at once); `stop()` waits for the pass in flight. */
import type { ChainLogger } from "./common";

export type Loop = { start(): void; stop(): Promise<void> };

export function createLoop(name: string, intervalMs: number, pass: () => Promise<unknown>, logger: ChainLogger): Loop {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;

  const tick = (): void => {
    running = pass()
      .then(
        () => undefined,
        (err: unknown) => logger.error({ err, loop: name }, `${name} pass failed; retrying next interval`),
      )
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      tick();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
