/**
 * The distributions the API serves proofs from, rebuilt from the stored file and kept for the few most recently
 * used epochs only: a 100,000-leaf tree holds tens of MB, and only the latest claimable and the latest computed
 * epoch are ever asked for (proofs of older epochs are superseded by the cumulative ones of the newer).
 */
import { readDistributionFile, type Distribution } from "../merkle";
import type { PrismaClient } from "../db/client";
import { EpochNotFoundError } from "./errors";

export type DistributionCache = {
  /** The epoch's distribution; loaded from the database at most once while cached (concurrent calls share it). */
  get(epoch: number): Promise<Distribution>;
  /** Epochs cached now, least recently used first. */
  epochs(): number[];
  clear(): void;
};

/** Default bound: the latest claimable and latest computed epoch, plus one being replaced. */
export const DISTRIBUTION_CACHE_SIZE = 3;

/** The stored distribution file of an epoch. */
export async function loadDistributionFile(prisma: PrismaClient, epoch: number): Promise<Buffer> {
  const e = await prisma.epoch.findUnique({ where: { id: epoch }, select: { distribution: true } });
  if (!e) throw new EpochNotFoundError(epoch);
  return Buffer.from(e.distribution);
}

export function createDistributionCache(p: { prisma: PrismaClient; maxEpochs?: number }): DistributionCache {
  const max = p.maxEpochs ?? DISTRIBUTION_CACHE_SIZE;
  if (!Number.isInteger(max) || max < 1) throw new RangeError("maxEpochs must be a positive integer");
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const entries = new Map<number, Promise<Distribution>>();

  async function load(epoch: number): Promise<Distribution> {
    const bytes = await loadDistributionFile(p.prisma, epoch);
    const { distribution } = await readDistributionFile(
      (async function* () {
        yield bytes;
      })(),
    );
    return distribution;
  }

  return {
    get(epoch) {
      let d = entries.get(epoch);
      if (d) entries.delete(epoch);
      else {
        d = load(epoch);
        // A failed load is not kept: the next request tries again.
        d.catch(() => {
          if (entries.get(epoch) === d) entries.delete(epoch);
        });
      }
      entries.set(epoch, d);
      while (entries.size > max) entries.delete(entries.keys().next().value as number);
      return d;
    },
    epochs: () => [...entries.keys()],
    clear: () => entries.clear(),
  };
}
