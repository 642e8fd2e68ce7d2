/**
 * Runs a pass every interval (never two at once); `stop()` waits for the pass in flight.
 *
 * A failed pass is handled by its kind (offchain/common/errors.ts): a retryable one (an RPC timeout, a dropped
 * connection) is a warning and simply runs again next interval; a permanent one cannot pass unchanged, so it is
 * logged as an alert (`alert: true`, level error) for someone to act on, and the loop keeps serving what else it
 * can. A failure that is not a TributaryError is unexpected: logged at error level, and retried.
 */
import { errorKind, isTributaryError } from "../common/errors";
import type { ChainLogger } from "./common";

export type Loop = { start(): void; stop(): Promise<void> };

export function reportFailedPass(logger: ChainLogger, name: string, err: unknown): void {
  if (!isTributaryError(err)) {
    logger.error({ err, loop: name }, `${name} pass failed unexpectedly; retrying next interval`);
  } else if (errorKind(err) === "retryable") {
    logger.warn({ err, loop: name, code: err.code }, `${name} pass failed; retrying next interval`);
  } else {
    logger.error({ err, loop: name, code: err.code, alert: true }, `${name} pass failed permanently: needs attention`);
  }
}

export function createLoop(name: string, intervalMs: number, pass: () => Promise<unknown>, logger: ChainLogger): Loop {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;

  const tick = (): void => {
    running = pass()
      .then(
        () => undefined,
        (err: unknown) => reportFailedPass(logger, name, err),
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
