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
import { lastStandingEpoch } from "../epochs/standing-epoch";
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

/**
 * epoch.claimable and refund.available for epoch `epochId`, whose root was just promoted. A refund is the growth of
 * a license's cumulative `refunded` over the state this epoch was computed from (the last earlier epoch that was
 * not vetoed, as the close does).
 */
export async function enqueueEpochClaimable(tx: Tx, epochId: number): Promise<void> {
  const epoch = await tx.epoch.findUniqueOrThrow({
    where: { id: epochId },
    select: { root: true, endsAt: true },
  });
  // Creators with a leaf that grew this epoch: each is told its own leaves, nothing of anyone else's.
  const leaves = await tx.$queryRaw<{ account: string; token: string; amount: string; cumulative: string }[]>`
    SELECT a.account, a.token, a.amount::text AS amount, a.cumulative::text AS cumulative
    FROM allocations a JOIN creators c ON c.address = a.account
    WHERE a.epoch_id = ${epochId} AND a.amount > 0
    ORDER BY a.account, a.token`;
  const byCreator = new Map<string, { token: string; amount: string; cumulative: string }[]>();
  for (const l of leaves) {
    const own = byCreator.get(l.account) ?? [];
    own.push({ token: l.token, amount: l.amount, cumulative: l.cumulative });
    byCreator.set(l.account, own);
  }
  for (const [account, own] of byCreator)
    await enqueueFor(tx, account, "creator", "epoch.claimable", {
      epoch: epochId,
      root: epoch.root,
      endsAt: epoch.endsAt.toISOString(),
      account,
      leaves: own,
      proof: `/v1/proofs/${account}`,
    });

  const base = await lastStandingEpoch(tx, epochId);
  // Per-license refunds compared inside the database: the carried state also holds every cumulative allocation
  // (one entry per account ever paid), which must not be loaded to find a few licenses whose refund grew.
  const grown = await tx.$queryRaw<{ licenseId: string; token: string; buyer: string; from: string; to: string }[]>`
    WITH now AS (
      SELECT l.value ->> 'licenseId' AS id, l.value ->> 'token' AS token,
        coalesce((l.value ->> 'refunded')::numeric, 0) AS refunded
      FROM epochs e, jsonb_array_elements(e.state::jsonb -> 'licenses') l(value) WHERE e.id = ${epochId}
    ), before AS (
      SELECT l.value ->> 'licenseId' AS id, coalesce((l.value ->> 'refunded')::numeric, 0) AS refunded
      FROM epochs e, jsonb_array_elements(e.state::jsonb -> 'licenses') l(value) WHERE e.id = ${base?.id ?? -1}
    )
    SELECT now.id AS "licenseId", now.token, b.address AS buyer,
      coalesce(before.refunded, 0)::text AS "from", now.refunded::text AS "to"
    FROM now LEFT JOIN before ON before.id = now.id
      JOIN licenses li ON li.id = now.id JOIN buyers b ON b.id = li.buyer_id
    WHERE now.refunded > coalesce(before.refunded, 0)
    ORDER BY now.id`;
  for (const g of grown) {
    const to = BigInt(g.to);
    await enqueueFor(tx, g.buyer, "buyer", "refund.available", {
      epoch: epochId,
      root: epoch.root,
      licenseId: g.licenseId,
      token: g.token,
      amount: (to - BigInt(g.from)).toString(),
      refundedToDate: to.toString(),
      account: g.buyer,
      proof: `/v1/proofs/${g.buyer}`,
    });
  }
}
