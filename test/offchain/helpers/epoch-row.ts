/**
 * An epochs row written directly, for tests that need epochs in given statuses without closing them: epoch `id`
 * spans 2026-01-`id` to the next day (UTC), with an empty distribution and the carried `state` given.
 */
import type { Prisma } from "../../../offchain/db/generated/client";
import type { TestDb } from "./database";

export type EpochRowStatus = "computed" | "submitted" | "mined" | "claimable" | "vetoed";

const id32 = (c: string) => `0x${c.repeat(64)}`;

/** When epoch `id` of `createEpochRow` ends. */
export const epochRowEnd = (id: number) => new Date(Date.UTC(2026, 0, id + 1));

export async function createEpochRow(
  db: TestDb,
  id: number,
  status: EpochRowStatus,
  state: Prisma.InputJsonValue = {},
): Promise<void> {
  await db.prisma.epoch.create({
    data: {
      id,
      startsAt: new Date(Date.UTC(2026, 0, id)),
      endsAt: epochRowEnd(id),
      status,
      root: id32(String(id).padStart(2, "0")),
      contentHash: id32("cc"),
      totals: {},
      leafCount: 0,
      report: {},
      state,
      distributionSize: 0n,
      closedBy: `0x${"0e".repeat(20)}`,
    },
  });
}
