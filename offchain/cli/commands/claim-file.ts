/**
 * `tributary claim --file <distribution>` — claims from a distribution file alone, with the API down: the file
 * is read and rebuilt by offchain/merkle's reader, checked against the splitter's claimable root (and the
 * content hash its RootProposed log committed), and each of the account's leaves not yet fully claimed is
 * claimed with its proof.
 */
import { encodeFunctionData, type Address, type Hex } from "viem";
import { royaltySplitterAbi } from "../../chain";
import { readDistributionFile } from "../../merkle";
import type { Context } from "../context";
import { CliError } from "../errors";
import type { ClaimResult } from "./claim";
import { proposedRoot } from "./verify";

export async function claimFromFile(
  ctx: Context,
  file: string,
  account?: Address,
): Promise<ClaimResult & { epoch: number }> {
  const c = await ctx.clients();
  if (!c.walletClient)
    throw new CliError("CLI_CONFIG_MISSING", "claiming sends a transaction: set PRIVATE_KEY or KEYSTORE_PATH");
  const who = (account ?? c.walletClient.account.address) as Address;
  const read = await readDistributionFile(file);
  const d = read.distribution;
  if (read.header.chainId !== ctx.chainId || read.header.contract.toLowerCase() !== ctx.splitter.toLowerCase()) {
    throw new CliError(
      "CLI_FILE_MISMATCH",
      `${file} is for chain ${read.header.chainId} contract ${read.header.contract}, not this splitter`,
    );
  }
  const [root, epoch] = await c.publicClient.readContract({
    address: ctx.splitter,
    abi: royaltySplitterAbi,
    functionName: "claimableRoot",
  });
  if (root.toLowerCase() !== d.root.toLowerCase()) {
    throw new CliError(
      "CLI_FILE_MISMATCH",
      `${file} (epoch ${read.header.epoch}, root ${d.root}) is not the claimable root (epoch ${epoch}, ${root})`,
    );
  }
  const committed = await proposedRoot(ctx, epoch);
  if (committed?.contentHash.toLowerCase() !== read.contentHash.toLowerCase()) {
    throw new CliError(
      "CLI_FILE_MISMATCH",
      `${file} hashes to ${read.contentHash}; epoch ${epoch} committed ${committed?.contentHash}`,
    );
  }
  const tokens = d.tokenTotals.map((t) => t.token).filter((t) => d.indexOf(who, t) >= 0);
  const claims: ClaimResult["claims"] = [];
  for (const token of tokens) {
    const leaf = d.claimFor(who, token)!;
    const done = await c.publicClient.readContract({
      address: ctx.splitter,
      abi: royaltySplitterAbi,
      functionName: "claimed",
      args: [who, token],
    });
    if (done >= leaf.cumulativeAmount) continue;
    const hash: Hex = await c.walletClient.sendTransaction({
      to: ctx.splitter,
      data: encodeFunctionData({
        abi: royaltySplitterAbi,
        functionName: "claim",
        args: [who, token, leaf.cumulativeAmount, leaf.proof],
      }),
    });
    const receipt = await c.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new CliError("CLI_TRANSACTION_REVERTED", `claim ${hash} reverted`);
    claims.push({
      token,
      amount: (leaf.cumulativeAmount - done).toString(),
      cumulative: leaf.cumulativeAmount.toString(),
      txHash: hash,
    });
  }
  return { account: who, claims, epoch };
}
