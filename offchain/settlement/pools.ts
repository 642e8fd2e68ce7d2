/**
 * Stage 2 of the split chain: per (dataset, token), the gross recognized from all licenses (the
 * "pool") → platform fee + contributors.
 * - fee = ⌊gross · feeBps / 10,000⌋ to the treasury (rounded down, in the creators' favour);
 * - net = gross − fee, split over the dataset's contributors by bps with largest remainder, ties by
 *   address ascending (contributors naming the same account were merged before, so each account is
 *   rounded once per pool).
 * Splitting once per pool, not once per usage aggregate, is both cheaper and rounds less.
 */
import { largestRemainder, type WeightedKey } from "./split";
import type { PreparedDataset } from "./validate";

export interface PoolSplit {
  fee: bigint;
  /** Aligned with `dataset.recipients`. */
  shares: bigint[];
}

/** Precomputed tie-break parts of a dataset, built once and reused for each token's pool. */
export function recipientParts(dataset: PreparedDataset): WeightedKey[] {
  return dataset.recipients.map((r) => ({ key: r.account, weight: r.bps }));
}

export function splitPool(gross: bigint, feeBps: bigint, parts: readonly WeightedKey[]): PoolSplit {
  const fee = (gross * feeBps) / 10_000n;
  const net = gross - fee;
  if (parts.length === 1) return { fee, shares: [net] };
  return { fee, shares: largestRemainder(net, parts) };
}
