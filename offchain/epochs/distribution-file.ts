/**
 * An epoch's distribution file, read from the content-addressed store under the epoch's `contentHash`. Epochs
 * closed before the store kept the file in their row: the first read moves it to the store (checked against the
 * row's hash) and clears the row, so old databases need no offline step.
 */
import type { Readable } from "node:stream";
import type { PrismaClient } from "../db/client";
import { StoredFileNotFoundError, type ContentStore, type StoredFile } from "../files";
import { EpochNotFoundError, EpochFileMismatchError } from "./errors";

/** The epoch's stored file (hash and size), moving a legacy in-row file to the store first. */
export async function epochDistributionFile(
  prisma: PrismaClient,
  store: ContentStore,
  epoch: number,
): Promise<StoredFile> {
  const row = await prisma.epoch.findUnique({ where: { id: epoch }, select: { contentHash: true } });
  if (!row) throw new EpochNotFoundError(epoch);
  const stored = await store.stat(row.contentHash);
  if (stored) return stored;
  const legacy = await prisma.epoch.findUnique({ where: { id: epoch }, select: { distribution: true } });
  // Not in this store and not in the row: a replica whose DISTRIBUTION_STORE_DIR is not the shared one.
  if (!legacy?.distribution) throw new StoredFileNotFoundError(row.contentHash);
  const moved = await store.put([legacy.distribution]);
  if (moved.contentHash !== row.contentHash.toLowerCase())
    throw new EpochFileMismatchError(epoch, row.contentHash, moved.contentHash);
  await prisma.epoch.update({ where: { id: epoch }, data: { distribution: null }, select: { id: true } });
  return moved;
}

/** A read stream of the epoch's distribution file. */
export async function openEpochDistribution(
  prisma: PrismaClient,
  store: ContentStore,
  epoch: number,
): Promise<{ file: StoredFile; stream: Readable }> {
  const file = await epochDistributionFile(prisma, store, epoch);
  return store.open(file.contentHash);
}
