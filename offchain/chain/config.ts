/**
 * The chain modules' settings (parsed from the environment in offchain/config, which documents each variable)
 * and the per-module configs derived from them for one splitter.
 */
import type { Address } from "viem";
import type { DepositIndexerConfig } from "./deposit-indexer";
import type { ClaimWatcherConfig } from "./claim-watcher";
import type { RootPublisherConfig } from "./root-publisher";

export type ChainConfig = {
  rpcUrl?: string;
  devChainPort: number;
  startBlock: bigint;
  confirmations: number;
  reorgDepth: number;
  maxBlockRange: number;
  pollIntervalMs: number;
  publishIntervalMs: number;
  stuckAfterMs: number;
  feeBumpPercent: number;
  /** The epoch the publisher may propose while the splitter is paused (the reviewed correction). */
  correctionEpoch?: number;
};

/** The per-module configs for the splitter at `splitter` (start block overridable, e.g. by a fresh deployment). */
export function moduleConfigs(c: ChainConfig, splitter: Address, startBlock = c.startBlock) {
  const where = { splitter, startBlock, maxBlockRange: c.maxBlockRange };
  const deposits: DepositIndexerConfig = {
    ...where,
    confirmations: c.confirmations,
    reorgDepth: c.reorgDepth,
    pollIntervalMs: c.pollIntervalMs,
  };
  const claims: ClaimWatcherConfig = { ...where, confirmations: c.confirmations, pollIntervalMs: c.pollIntervalMs };
  const publisher: RootPublisherConfig = {
    ...where,
    stuckAfterMs: c.stuckAfterMs,
    feeBumpPercent: c.feeBumpPercent,
    pollIntervalMs: c.pollIntervalMs,
    correctionEpoch: c.correctionEpoch,
  };
  return { deposits, claims, publisher };
}
