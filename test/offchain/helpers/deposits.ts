/**
 * Deposits as the chain indexer writes them (offchain/chain/deposit-indexer.ts), for tests of the service that
 * run without a chain. There is deliberately no HTTP route or service function that creates a deposit.
 */
import crypto from "node:crypto";
import type { Db } from "../../../offchain/db/client";

export async function insertConfirmedDeposit(
  db: Db,
  d: { licenseId: string; token: string; amount: bigint; payer: string; blockNumber?: bigint },
): Promise<void> {
  await db.prisma.deposit.create({
    data: {
      licenseId: d.licenseId,
      token: d.token,
      amount: d.amount.toString(),
      payer: d.payer,
      txHash: `0x${crypto.randomBytes(32).toString("hex")}`,
      logIndex: 0,
      blockNumber: d.blockNumber ?? 10n,
      blockHash: `0x${"cd".repeat(32)}`,
      state: "confirmed",
    },
  });
}
