/**
 * The development chain's deployment record in the data folder (`devchain.json`): addresses, deployment block
 * and genesis hash, so tools (CLI, pages) and people can find them, and the next start finds the contracts again
 * on the replayed chain (same genesis hash) instead of deploying new ones.
 */
import fs from "node:fs";
import path from "node:path";
import type { Address, Hex } from "viem";

export type DevDeployment = {
  chainId: number;
  rpcUrl: string;
  genesisHash: Hex;
  splitter: Address;
  stablecoin: Address;
  deployBlock: string;
  deployedAt: string;
};

export const devDeploymentPath = (dataDir: string) => path.join(dataDir, "devchain.json");

export function readDevDeployment(dataDir: string): DevDeployment | undefined {
  const file = devDeploymentPath(dataDir);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as DevDeployment) : undefined;
}

export function writeDevDeployment(dataDir: string, d: DevDeployment): void {
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(devDeploymentPath(dataDir), JSON.stringify(d, null, 2) + "\n");
}
