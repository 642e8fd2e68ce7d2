/**
 * The last epoch that stood: the latest one not vetoed (optionally before a given epoch). A vetoed epoch is
 * recomputed, so this is the epoch every next close chains from: its end starts the unbilled window, its carried
 * state is the base of the next allocations. The close, ingestion's credit counter, share changes, the audit export
 * and the money webhooks all ask this one question, so it is asked here once.
 */
import type { Prisma } from "../db/generated/client";

type EpochReader = { epoch: Pick<Prisma.TransactionClient["epoch"], "findFirst"> };

export type StandingEpoch = { id: number; endsAt: Date };

/** The latest epoch that was not vetoed (before epoch `before` when given), or null when none has stood yet. */
export async function lastStandingEpoch(db: EpochReader, before?: number): Promise<StandingEpoch | null> {
  return db.epoch.findFirst({
    where: { status: { not: "vetoed" }, ...(before === undefined ? {} : { id: { lt: before } }) },
    orderBy: { id: "desc" },
    select: { id: true, endsAt: true },
  });
}
