/** `tributary claim [account]` — claims everything claimable for the account (default: the key's) with API proofs. */
import { encodeFunctionData, type Address, type Hex } from "viem";
import { royaltySplitterAbi } from "../../chain";
import type { Context } from "../context";
import { CliError } from "../errors";

export type ClaimDone = { token: Address; amount: string; cumulative: string; txHash: Hex };
export type ClaimResult = { account: Address; claims: ClaimDone[] };

export async function claimAll(ctx: Context, account?: Address): Promise<ClaimResult> {
  const c = await ctx.clients();
  if (!c.walletClient)
    throw new CliError("CLI_CONFIG_MISSING", "claiming sends a transaction: set PRIVATE_KEY or KEYSTORE_PATH");
  const who = account ?? c.walletClient.account.address;
  const { proofs } = await ctx.api.call<{
    proofs: { token: Address; cumulative: string; claimable: string; proof: Hex[] }[];
  }>("GET", `/v1/proofs/${who}`);
  const claims: ClaimDone[] = [];
  for (const p of proofs.filter((x) => BigInt(x.claimable) > 0n)) {
    // The API learns of claims from the claim watcher; the chain is the authority on what is left.
    const done = await c.publicClient.readContract({
      address: ctx.splitter,
      abi: royaltySplitterAbi,
      functionName: "claimed",
      args: [who, p.token],
    });
    if (done >= BigInt(p.cumulative)) continue;
    const hash = await c.walletClient.sendTransaction({
      to: ctx.splitter,
      data: encodeFunctionData({
        abi: royaltySplitterAbi,
        functionName: "claim",
        args: [who, p.token, BigInt(p.cumulative), p.proof],
      }),
    });
    const receipt = await c.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new CliError("CLI_TRANSACTION_REVERTED", `claim ${hash} reverted`);
    claims.push({
      token: p.token,
      amount: (BigInt(p.cumulative) - done).toString(),
      cumulative: p.cumulative,
      txHash: hash,
    });
  }
  return { account: who, claims };
}
