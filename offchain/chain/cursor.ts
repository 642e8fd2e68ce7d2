/** Persisted resume points of the chain readers (table chain_cursors). */
import type { PrismaClient } from "../db/client";

type CursorStore = Pick<PrismaClient, "chainCursor">;

/** The first block `reader` has not scanned, or `fallback` when it never ran. */
export async function readCursor(db: CursorStore, reader: string, fallback: bigint): Promise<bigint> {
  const row = await db.chainCursor.findUnique({ where: { id: reader } });
  return row ? row.nextBlock : fallback;
}

export async function writeCursor(db: CursorStore, reader: string, nextBlock: bigint): Promise<void> {
  await db.chainCursor.upsert({ where: { id: reader }, create: { id: reader, nextBlock }, update: { nextBlock } });
}

/** A whole block range is written in one transaction: allow more than Prisma's 5 s default for busy ranges. */
export const RANGE_TRANSACTION = { timeout: 60_000, maxWait: 10_000 } as const;
