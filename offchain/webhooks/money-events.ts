/**
 * Webhook events of the money flow, each queued in the transaction of the change it reports:
 * - `deposit.confirmed` (deposit indexer, when a deposit row becomes confirmed) → the license's buyer only;
 * - `epoch.claimable` (root publisher, when the epoch's root is promoted) → each creator with a leaf that grew in
 *   the epoch, naming only its own leaves;
 * - `refund.available` (same transaction) → the buyer of each license whose cumulative refund grew in the epoch:
 *   the engine pays a license's refunds to its buyer's address (offchain/epochs/close.ts), so that leaf is its own.
 * No payload names another party: a creator never learns which buyers paid, a buyer never another buyer's refund.
 */
import type { Prisma } from "../db/generated/client";
import { enqueueFor } from "./events";

type Tx = Prisma.TransactionClient;

export type ConfirmedDeposit = {
  licenseId: string;
  token: string;
  amount: string;
  payer: string;
  txHash: string;
  logIndex: number;
  blockNumber: bigint;
};

/** deposit.confirmed to each deposit's license buyer. */
export async function enqueueDepositsConfirmed(tx: Tx, deposits: readonly ConfirmedDeposit[]): Promise<void> {
  if (deposits.length === 0) return;
  const licenses = await tx.license.findMany({
    where: { id: { in: [...new Set(deposits.map((d) => d.licenseId))] } },
    select: { id: true, buyer: { select: { address: true } } },
  });
  const buyerOf = new Map(licenses.map((l) => [l.id, l.buyer.address]));
  for (const d of deposits) {
    const buyer = buyerOf.get(d.licenseId);
    if (!buyer) continue; // a deposit to an unknown license id has no buyer to tell (it is held, then refunded)
    await enqueueFor(tx, buyer, "buyer", "deposit.confirmed", {
      licenseId: d.licenseId,
      token: d.token,
      amount: d.amount,
      payer: d.payer,
      txHash: d.txHash,
      logIndex: d.logIndex,
      blockNumber: d.blockNumber.toString(),
    });
  }
}

type StateLicense = { licenseId: string; token: string; refunded?: string };
const stateLicenses = (state: Prisma.JsonValue | undefined): StateLicense[] =>
  ((state as { licenses?: StateLicense[] } | null | undefined)?.licenses ?? []).filter((l) => l?.licenseId);

/**
 * epoch.claimable and refund.available for epoch `epochId`, whose root was just promoted. A refund is the growth of
 * a license's cumulative `refunded` over the state this epoch was computed from (the last earlier epoch that was
 * not vetoed, as the close does).
 */
export async function enqueueEpochClaimable(tx: Tx, epochId: number): Promise<void> {
  const epoch = await tx.epoch.findUniqueOrThrow({
    where: { id: epochId },
    select: { root: true, endsAt: true, state: true },
  });
  // Creators with a leaf that grew this epoch: each is told its own leaves, nothing of anyone else's.
  const leaves = await tx.$queryRaw<{ account: string; token: string; amount: string; cumulative: string }[]>`
    SELECT a.account, a.token, a.amount::text AS amount, a.cumulative::text AS cumulative
    FROM allocations a JOIN creators c ON c.address = a.account
    WHERE a.epoch_id = ${epochId} AND a.amount > 0
    ORDER BY a.account, a.token`;
  const byCreator = new Map<string, { token: string; amount: string; cumulative: string }[]>();
  for (const l of leaves)
    byCreator.set(l.account, [
      ...(byCreator.get(l.account) ?? []),
      { token: l.token, amount: l.amount, cumulative: l.cumulative },
    ]);
  for (const [account, own] of byCreator)
    await enqueueFor(tx, account, "creator", "epoch.claimable", {
      epoch: epochId,
      root: epoch.root,
      endsAt: epoch.endsAt.toISOString(),
      account,
      leaves: own,
      proof: `/v1/proofs/${account}`,
    });

  const base = await tx.epoch.findFirst({
    where: { id: { lt: epochId }, status: { not: "vetoed" } },
    orderBy: { id: "desc" },
    select: { state: true },
  });
  const before = new Map(stateLicenses(base?.state).map((l) => [l.licenseId, BigInt(l.refunded ?? "0")]));
  const grown = stateLicenses(epoch.state)
    .map((l) => ({ ...l, to: BigInt(l.refunded ?? "0"), from: before.get(l.licenseId) ?? 0n }))
    .filter((l) => l.to > l.from);
  if (grown.length === 0) return;
  const buyers = await tx.license.findMany({
    where: { id: { in: grown.map((g) => g.licenseId) } },
    select: { id: true, buyer: { select: { address: true } } },
  });
  const buyerOf = new Map(buyers.map((b) => [b.id, b.buyer.address]));
  for (const g of grown) {
    const buyer = buyerOf.get(g.licenseId);
    if (!buyer) continue;
    await enqueueFor(tx, buyer, "buyer", "refund.available", {
      epoch: epochId,
      root: epoch.root,
      licenseId: g.licenseId,
      token: g.token,
      amount: (g.to - g.from).toString(),
      refundedToDate: g.to.toString(),
      account: buyer,
      proof: `/v1/proofs/${buyer}`,
    });
  }
}
