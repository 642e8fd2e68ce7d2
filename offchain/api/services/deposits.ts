/**
 * Deposits as seen on-chain. The chain indexer (offchain/chain, next issue) calls these; there is deliberately
 * no HTTP route that creates a deposit. (txHash, logIndex) makes re-indexing idempotent.
 */
import type { Deps } from "./deps";

export type ChainDeposit = {
  licenseId: string;
  token: string;
  amount: bigint;
  payer: string;
  txHash: string;
  logIndex: number;
  blockNumber: bigint;
  blockHash: string;
};

export async function recordDeposit({ prisma }: Deps, d: ChainDeposit, state: "pending" | "confirmed" = "pending") {
  const row = await prisma.deposit.upsert({
    where: { txHash_logIndex: { txHash: d.txHash, logIndex: d.logIndex } },
    create: { ...d, amount: d.amount.toString(), state },
    update: { blockNumber: d.blockNumber, blockHash: d.blockHash, state },
  });
  return row.id;
}

export async function setDepositState(
  { prisma }: Deps,
  txHash: string,
  logIndex: number,
  state: "pending" | "confirmed" | "reorged",
) {
  await prisma.deposit.update({ where: { txHash_logIndex: { txHash, logIndex } }, data: { state } });
}
