/**
 * The scheduler's "close" step: closes the next epoch through the same function the operator route uses
 * (closeEpoch), but only when it can be published and has something to settle:
 * - the previous epoch is no longer waiting for its root (computed / submitted): the splitter refuses a new
 *   proposal while a root matures, so closing more would only queue identical work;
 * - a confirmed deposit is unsettled, or usage arrived since the last epoch's end.
 * Subscription periods that fall due without any new deposit or usage wait for the next such event (or an
 * operator's close) — a known simplification.
 */
import { closeEpoch, type ClosedEpoch, type EpochsDeps } from "./close";
import { proofEpochsChanged } from "./proof-state";

export const SCHEDULER_ACTOR = "scheduler";

/** Closed, or why not (waiting for a publication, nothing new, nothing recognized yet): never an error. */
export type CloseStepResult = { closed: ClosedEpoch } | { skipped: string };

export async function closeDueEpoch(deps: EpochsDeps, now = new Date()): Promise<CloseStepResult> {
  const { prisma } = deps;
  const open = await prisma.epoch.findFirst({
    where: { status: { in: ["computed", "submitted", "mined"] } },
    select: { id: true },
  });
  if (open) return { skipped: `epoch ${open.id} is still being published` };
  const last = await prisma.epoch.findFirst({ orderBy: { id: "desc" }, select: { endsAt: true } });
  const since = last?.endsAt ?? new Date(0);
  // Epochs end on whole seconds: within the second the last one ended in, the next window would be empty.
  if (Math.floor(now.getTime() / 1000) * 1000 <= since.getTime()) {
    return { skipped: "the last epoch ended less than a second ago" };
  }
  const deposits = await prisma.deposit.count({ where: { state: "confirmed", settledEpoch: null } });
  const usage = await prisma.usageEvent.count({ where: { occurredAt: { gte: since, lt: now } } });
  if (deposits === 0 && usage === 0) return { skipped: "nothing new to settle" };
  const closed = await closeEpoch(deps, SCHEDULER_ACTOR, { endsAt: now.toISOString() });
  if (closed.status === "empty") return { skipped: closed.reason };
  proofEpochsChanged(prisma); // a new computed epoch: this process's proofs show it from the next request
  deps.common.logger.info(
    { epoch: closed.epoch, root: closed.root, leafCount: closed.leafCount },
    "epoch closed by the scheduler",
  );
  return { closed };
}

export type CloseStep = { run(now?: Date): Promise<CloseStepResult> };

/**
 * `closeDueEpoch` for the scheduler: a skip is logged at info once when its reason changes (the scheduler runs every
 * interval, and "epoch 3 is still being published" holds for the whole timelock), at debug while it repeats.
 */
export function createCloseStep(deps: EpochsDeps): CloseStep {
  let lastSkip: string | undefined;
  return {
    async run(now) {
      const r = await closeDueEpoch(deps, now);
      if ("skipped" in r) {
        const level = r.skipped === lastSkip ? "debug" : "info";
        deps.common.logger[level]({ reason: r.skipped }, "no epoch closed this pass");
        lastSkip = r.skipped;
      } else lastSkip = undefined;
      return r;
    },
  };
}
