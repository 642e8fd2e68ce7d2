/** Building, signing and broadcasting the `proposeRoot` transaction: the raw bytes are kept so they can be re-sent. */
import {
  encodeFunctionData,
  keccak256,
  TransactionNotFoundError,
  type Address,
  type Hex,
  type LocalAccount,
} from "viem";
import { royaltySplitterAbi } from "./abi";
import type { ChainClients } from "./clients";
import type { TokenTotal } from "./root-chain";
import { ChainError } from "./errors";

export type RootProposal = { splitter: Address; root: Hex; contentHash: Hex; epoch: number; totals: TokenTotal[] };

export type SignedTx = { hash: Hex; raw: Hex; nonce: number; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint };

export function proposalCall(p: RootProposal) {
  return {
    address: p.splitter,
    abi: royaltySplitterAbi,
    functionName: "proposeRoot",
    args: [p.root, p.contentHash, p.epoch, p.totals],
  } as const;
}

export function localAccount(clients: ChainClients): LocalAccount {
  const account = clients.walletClient?.account;
  if (!account || account.type !== "local")
    throw new ChainError("CHAIN_ACCOUNT_MISSING", "the root publisher needs a local (signing) account");
  return account as LocalAccount;
}

/** Signs the proposal with the given nonce and fees (no network call besides gas estimation when `gasLimit` is unset). */
export async function signProposal(
  clients: ChainClients,
  p: RootProposal,
  nonce: number,
  fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint },
  gasLimit?: bigint,
): Promise<SignedTx> {
  const account = localAccount(clients);
  const call = proposalCall(p);
  // A replacement keeps the original's gas limit: estimating again would run against the pending state, where
  // the original has already taken the epoch.
  const gas = gasLimit ?? ((await clients.publicClient.estimateContractGas({ ...call, account })) * 12n) / 10n;
  const raw = await account.signTransaction({
    type: "eip1559",
    chainId: clients.chain.id,
    to: p.splitter,
    data: encodeFunctionData(call),
    nonce,
    gas,
    ...fees,
  });
  return { hash: keccak256(raw), raw, nonce, ...fees };
}

/** Current fees, never below `floor` raised by `bumpPercent` (a replacement must outbid what it replaces). */
export async function feesAtLeast(
  clients: ChainClients,
  floor?: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint },
  bumpPercent = 0,
): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
  const now = await clients.publicClient.estimateFeesPerGas();
  if (!floor) return { maxFeePerGas: now.maxFeePerGas, maxPriorityFeePerGas: now.maxPriorityFeePerGas };
  const bump = (v: bigint) => (v * BigInt(100 + bumpPercent)) / 100n + 1n;
  const max = (a: bigint, b: bigint) => (a > b ? a : b);
  return {
    maxFeePerGas: max(now.maxFeePerGas, bump(floor.maxFeePerGas)),
    maxPriorityFeePerGas: max(now.maxPriorityFeePerGas, bump(floor.maxPriorityFeePerGas)),
  };
}

/** Whether the node knows the transaction (mined or in its mempool). */
export async function isKnown(clients: ChainClients, hash: Hex): Promise<boolean> {
  try {
    await clients.publicClient.getTransaction({ hash });
    return true;
  } catch (err) {
    if (err instanceof TransactionNotFoundError) return false;
    throw err;
  }
}

/**
 * Broadcasts a signed transaction. "Already known" is success; a consumed nonce is reported (the caller
 * reconciles from receipts and logs), anything else is thrown.
 */
export async function broadcast(clients: ChainClients, raw: Hex): Promise<"sent" | "known" | "nonce-used"> {
  try {
    await clients.publicClient.sendRawTransaction({ serializedTransaction: raw });
    return "sent";
  } catch (err) {
    const text = String(err instanceof Error ? err.message : err).toLowerCase();
    if (text.includes("already known") || text.includes("already imported") || text.includes("known transaction"))
      return "known";
    if (text.includes("nonce too low") || text.includes("nonce is too low")) return "nonce-used";
    throw err;
  }
}
