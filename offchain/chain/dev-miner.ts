/**
 * Mines a block on the development chain when the splitter's pending root has matured. Hardhat mines only when a
 * transaction arrives, and calls read the head block's timestamp, so on an idle chain a matured root would stay
 * unclaimable until someone sent a transaction. One block per maturity (not a block every interval) keeps the
 * replay journal short.
 */
import type { Address } from "viem";
import type { EIP1193Provider } from "hardhat/types";
import { royaltySplitterAbi } from "./abi";
import type { ChainClients } from "./clients";
import type { ChainCommon } from "./common";
import { createLoop, type Loop } from "./loop";

export type DevMinerConfig = { splitter: Address; intervalMs: number };

export function createDevMiner(p: {
  common: ChainCommon;
  clients: ChainClients;
  /** The development chain's provider (the journaling one, so the mined block is replayed after a restart). */
  provider: EIP1193Provider;
  config: DevMinerConfig;
}): Loop & { runOnce(): Promise<boolean> } {
  const runOnce = async (): Promise<boolean> => {
    const [, , readyAt] = await p.clients.publicClient.readContract({
      address: p.config.splitter,
      abi: royaltySplitterAbi,
      functionName: "pendingRoot",
    });
    if (readyAt === 0n) return false;
    // The chain's clock: the wall clock plus the offset evm_increaseTime has added.
    const offset = Number(await p.provider.request({ method: "evm_increaseTime", params: [0] }));
    if (Math.floor(Date.now() / 1000) + offset < Number(readyAt)) return false;
    await p.provider.request({ method: "evm_mine", params: [] });
    p.common.logger.info({ readyAt: readyAt.toString() }, "mined a block: the pending root has matured");
    return true;
  };
  const loop = createLoop("dev-miner", p.config.intervalMs, runOnce, p.common.logger);
  return { ...loop, runOnce };
}
