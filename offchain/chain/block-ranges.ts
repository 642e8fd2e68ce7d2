/**
 * The one block-range scan of the chain readers: consecutive, inclusive `[fromBlock, toBlock]` ranges of at most
 * `maxBlockRange` blocks (RPC providers cap `eth_getLogs` ranges), covering `fromBlock`..`toBlock` in order.
 * The deposit indexer, the claim watcher, the root lookups (root-chain.ts) and the root watcher (offchain/watch)
 * all read logs through it.
 */
import { ChainError } from "./errors";

export type BlockRange = { fromBlock: bigint; toBlock: bigint };

export function* blockRanges(fromBlock: bigint, toBlock: bigint, maxBlockRange: number): Generator<BlockRange> {
  if (!Number.isSafeInteger(maxBlockRange) || maxBlockRange < 1)
    throw new ChainError("CHAIN_CONFIG_INVALID", "maxBlockRange must be a positive integer");
  const step = BigInt(maxBlockRange);
  for (let from = fromBlock; from <= toBlock; from += step) {
    const to = from + step - 1n;
    yield { fromBlock: from, toBlock: to > toBlock ? toBlock : to };
  }
}
