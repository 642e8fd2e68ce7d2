/**
 * Chain settings from the environment, parsed and validated once (the lead may fold this into offchain/config).
 *
 * | variable               | default     | meaning                                                                  |
 * |------------------------|-------------|--------------------------------------------------------------------------|
 * | RPC_URL                | (unset)     | JSON-RPC endpoint; unset = start the in-process development chain         |
 * | DEV_CHAIN_PORT         | 8545        | port of the development chain on 127.0.0.1                               |
 * | SPLITTER_START_BLOCK   | 0           | first block the readers scan (the splitter's deployment block)           |
 * | CONFIRMATIONS          | 1 dev / 12  | blocks (own included) before a deposit or claim counts                   |
 * | REORG_DEPTH            | 2×CONF.     | blocks re-read below the cursor every pass (≥ CONFIRMATIONS)             |
 * | MAX_BLOCK_RANGE        | 2000        | largest eth_getLogs range                                                 |
 * | CHAIN_POLL_MS          | 500 dev / 4000 | indexer and claim-watcher interval                                   |
 * | PUBLISH_INTERVAL_MS    | 60000       | scheduler interval (close → publish)                                      |
 * | STUCK_AFTER_MS         | 180000      | a root transaction pending this long is re-priced                         |
 * | FEE_BUMP_PERCENT       | 25          | fee increase of a re-priced transaction (nodes require ≥ 10)              |
 * | PUBLISHER_KEYSTORE (+ _PASSWORD) / PUBLISHER_PRIVATE_KEY | see keys.ts                                       |
 */
import { z } from "zod";
import type { Address } from "viem";
import type { DepositIndexerConfig } from "./deposit-indexer";
import type { ClaimWatcherConfig } from "./claim-watcher";
import type { RootPublisherConfig } from "./root-publisher";

const int = (min: number) => z.coerce.number().int().min(min);

const schema = z.object({
  RPC_URL: z.string().url().optional(),
  DEV_CHAIN_PORT: int(0).max(65535).default(8545),
  SPLITTER_START_BLOCK: z.coerce.bigint().min(0n).default(0n),
  CONFIRMATIONS: int(1).optional(),
  REORG_DEPTH: int(1).optional(),
  MAX_BLOCK_RANGE: int(1).default(2000),
  CHAIN_POLL_MS: int(10).optional(),
  PUBLISH_INTERVAL_MS: int(100).default(60_000),
  STUCK_AFTER_MS: int(0).default(180_000),
  FEE_BUMP_PERCENT: int(10).max(1000).default(25),
});

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
};

/** Parses the chain variables; throws listing every invalid one. */
export function loadChainConfig(env: Record<string, string | undefined> = process.env): ChainConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new Error(
      `invalid chain environment:\n  ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n  ")}`,
    );
  }
  const e = parsed.data;
  const dev = e.RPC_URL === undefined;
  const confirmations = e.CONFIRMATIONS ?? (dev ? 1 : 12);
  const reorgDepth = e.REORG_DEPTH ?? Math.max(2 * confirmations, 2);
  if (reorgDepth < confirmations)
    throw new Error("invalid chain environment:\n  REORG_DEPTH: must be at least CONFIRMATIONS");
  return {
    rpcUrl: e.RPC_URL,
    devChainPort: e.DEV_CHAIN_PORT,
    startBlock: e.SPLITTER_START_BLOCK,
    confirmations,
    reorgDepth,
    maxBlockRange: e.MAX_BLOCK_RANGE,
    pollIntervalMs: e.CHAIN_POLL_MS ?? (dev ? 500 : 4000),
    publishIntervalMs: e.PUBLISH_INTERVAL_MS,
    stuckAfterMs: e.STUCK_AFTER_MS,
    feeBumpPercent: e.FEE_BUMP_PERCENT,
  };
}

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
  };
  return { deposits, claims, publisher };
}
