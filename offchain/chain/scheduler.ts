/**
 * Scheduler hook: every interval, under the database advisory lock, closes the due epoch and publishes roots
 * (and anything else passed as a step, in order). Instances that do not get the lock skip the interval, so any
 * number of service instances can share one database and exactly one publishes at a time.
 */
import type { ChainCommon } from "./common";
import type { AdvisoryLock } from "./advisory-lock";
import { createLoop } from "./loop";

export type SchedulerStep = { name: string; run(): Promise<unknown> };

export type SchedulerPass = { ran: boolean; steps: string[] };

export type Scheduler = { runOnce(): Promise<SchedulerPass>; start(): void; stop(): Promise<void> };

export function createScheduler(p: {
  common: ChainCommon;
  lock: AdvisoryLock;
  config: { intervalMs: number };
  /** e.g. [{ name: "close", run: closeDueEpoch }, { name: "publish", run: publisher.runOnce }] */
  steps: SchedulerStep[];
}): Scheduler {
  const { common, lock, steps } = p;

  let busy = false;

  async function runOnce(): Promise<SchedulerPass> {
    // Session locks are re-entrant: a second pass of this same instance must not slip in beside the first.
    if (busy) return { ran: false, steps: [] };
    busy = true;
    try {
      return await lockedPass();
    } finally {
      busy = false;
    }
  }

  async function lockedPass(): Promise<SchedulerPass> {
    if (!(await lock.tryAcquire())) return { ran: false, steps: [] };
    const done: string[] = [];
    try {
      for (const step of steps) {
        await step.run();
        done.push(step.name);
      }
    } finally {
      await lock.release();
    }
    return { ran: true, steps: done };
  }

  const loop = createLoop("scheduler", p.config.intervalMs, runOnce, common.logger);
  return {
    runOnce,
    start: loop.start,
    async stop() {
      await loop.stop();
      await lock.close();
    },
  };
}
