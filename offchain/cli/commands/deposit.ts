/** `tributary deposit <licenseId> <amount> --token <address>` — approves if needed and deposits (base units). */
import { encodeFunctionData, erc20Abi, type Address, type Hex } from "viem";
import { royaltySplitterAbi } from "../../chain";
import type { Context } from "../context";
import { CliError } from "../errors";

export type DepositResult = {
  licenseId: Hex;
  token: Address;
  amount: string;
  approveTx?: Hex;
  txHash: Hex;
  blockNumber: string;
};

export async function deposit(ctx: Context, licenseId: Hex, amount: bigint, token: Address): Promise<DepositResult> {
  if (amount <= 0n) throw new CliError("CLI_ARGUMENT_INVALID", "the amount must be positive (base units)");
  const c = await ctx.clients();
  if (!c.walletClient)
    throw new CliError("CLI_CONFIG_MISSING", "depositing sends a transaction: set PRIVATE_KEY or KEYSTORE_PATH");
  const me = c.walletClient.account.address;
  const send = async (to: Address, data: Hex) => {
    const hash = await c.walletClient!.sendTransaction({ to, data });
    const receipt = await c.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new CliError("CLI_TRANSACTION_REVERTED", `transaction ${hash} reverted`);
    return receipt;
  };
  const allowance = await c.publicClient.readContract({
    address: token,
    abi: erc20Abi,
    functionName: "allowance",
    args: [me, ctx.splitter],
  });
  const approveTx =
    allowance < amount
      ? (
          await send(
            token,
            encodeFunctionData({ abi: erc20Abi, functionName: "approve", args: [ctx.splitter, amount] }),
          )
        ).transactionHash
      : undefined;
  const r = await send(
    ctx.splitter,
    encodeFunctionData({ abi: royaltySplitterAbi, functionName: "deposit", args: [licenseId, token, amount] }),
  );
  return {
    licenseId,
    token,
    amount: amount.toString(),
    approveTx,
    txHash: r.transactionHash,
    blockNumber: r.blockNumber.toString(),
  };
}
