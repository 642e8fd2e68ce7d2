/**
 * Deploys the development stack (test stablecoin with permit + RoyaltySplitter + allow-list) with viem.
 *
 * Why viem and not Ignition here: the in-process development chain does not survive a restart, while Ignition
 * keeps a deployment journal (ignition/deployments/chain-31337) that would then describe contracts that no
 * longer exist and make the next start refuse or mis-reconcile. Ignition (scripts/ignition/) is the path for
 * persistent networks; this function is the throwaway-chain path and needs only compiled artifacts.
 */
import fs from "node:fs";
import path from "node:path";
import type { Address, Hex } from "viem";
import { royaltySplitterAbi, testStablecoinAbi } from "./abi";
import type { ChainClients } from "./clients";
import { ChainError } from "./errors";

export type DevStack = {
  splitter: Address;
  stablecoin: Address;
  /** Block of the splitter deployment: where chain readers start. */
  deployBlock: bigint;
};

export type DeployDevStackParameters = {
  /** Wallet client of the deployer, which becomes the admin. */
  clients: ChainClients;
  poster: Address;
  guardian: Address;
  timelockSeconds: number;
  /** Delay of an admin transfer (AccessControlDefaultAdminRules); 0 on the development chain. */
  adminDelaySeconds?: number;
  artifactsDir?: string;
};

function bytecode(artifactsDir: string, relative: string): Hex {
  const file = path.join(artifactsDir, relative);
  if (!fs.existsSync(file))
    throw new ChainError("CHAIN_ARTIFACT_MISSING", `missing artifact ${file}: run \`npx hardhat compile\` first`);
  return (JSON.parse(fs.readFileSync(file, "utf8")) as { bytecode: Hex }).bytecode;
}

/** Deploys and configures the development stack; waits for every receipt. */
export async function deployDevStack(p: DeployDevStackParameters): Promise<DevStack> {
  const { publicClient, walletClient } = p.clients;
  if (!walletClient) throw new ChainError("CHAIN_ACCOUNT_MISSING", "deployDevStack needs a wallet client");
  const artifactsDir = p.artifactsDir ?? path.join(__dirname, "..", "..", "artifacts");
  const admin = walletClient.account.address;

  const tokenHash = await walletClient.deployContract({
    abi: testStablecoinAbi,
    bytecode: bytecode(artifactsDir, "contracts/mocks/MockERC20Permit.sol/MockERC20Permit.json"),
    args: ["Test USD", "TUSD"],
  });
  const tokenReceipt = await publicClient.waitForTransactionReceipt({ hash: tokenHash });
  const splitterHash = await walletClient.deployContract({
    abi: royaltySplitterAbi,
    bytecode: bytecode(artifactsDir, "contracts/RoyaltySplitter.sol/RoyaltySplitter.json"),
    args: [p.adminDelaySeconds ?? 0, admin, p.poster, p.guardian, p.timelockSeconds],
  });
  const splitterReceipt = await publicClient.waitForTransactionReceipt({ hash: splitterHash });
  const stablecoin = tokenReceipt.contractAddress;
  const splitter = splitterReceipt.contractAddress;
  if (!stablecoin || !splitter)
    throw new ChainError("CHAIN_DEPLOYMENT_FAILED", "deployment receipt without a contract address");

  const allowHash = await walletClient.writeContract({
    address: splitter,
    abi: royaltySplitterAbi,
    functionName: "setTokenAllowed",
    args: [stablecoin, true],
  });
  const allow = await publicClient.waitForTransactionReceipt({ hash: allowHash });
  if (allow.status !== "success") throw new ChainError("CHAIN_DEPLOYMENT_FAILED", "setTokenAllowed reverted");
  return { splitter, stablecoin, deployBlock: splitterReceipt.blockNumber };
}
