/**
 * Revocations that reach the licensee: each revocation writes one notice per active license covering the item
 * (same dataset and scope, window not yet over at revokedAt) and a consent.revoked webhook to each such buyer,
 * naming only that buyer's own licenses; a withdrawn rights attestation does the same (attestation.withdrawn).
 * Buyers read the same notices from a pull feed.
 */
import type { Prisma } from "../../db/generated/client";
import { enqueueFor } from "../../webhooks/events";
import { buyerByAddress } from "./buyers";
import type { Deps } from "./deps";

type Revoked = {
  id: string;
  datasetId: string;
  itemRef: string | null;
  scope: "training" | "inference";
  revokedAt: Date | null;
};

/** Inside the revocation's transaction; returns how many licenses were notified. */
export async function notifyRevocation(tx: Prisma.TransactionClient, c: Revoked): Promise<number> {
  return notifyLicensees(tx, {
    kind: "consent",
    sourceId: c.id,
    datasetId: c.datasetId,
    itemRef: c.itemRef,
    scope: c.scope,
    at: c.revokedAt as Date,
  });
}

/**
 * Inside the withdrawal's transaction: a withdrawn rights attestation reaches the licensees like a revocation of
 * the whole dataset (an attestation.withdrawn webhook and a feed notice with kind "attestation"); items still
 * covered by a consent receipt stay usable, which the action says.
 */
export async function notifyWithdrawal(
  tx: Prisma.TransactionClient,
  a: { id: string; datasetId: string; scope: "training" | "inference"; withdrawnAt: Date | null },
): Promise<number> {
  return notifyLicensees(tx, {
    kind: "attestation",
    sourceId: a.id,
    datasetId: a.datasetId,
    itemRef: null,
    scope: a.scope,
    at: a.withdrawnAt as Date,
  });
}

type Withdrawal = {
  kind: "consent" | "attestation";
  sourceId: string;
  datasetId: string;
  itemRef: string | null;
  scope: "training" | "inference";
  at: Date;
};

const ACTION = {
  item: "exclude the item from further use; usage of it at or after revokedAt is refused",
  dataset: "exclude the whole dataset from further use; usage at or after revokedAt is refused",
  attestation:
    "the creator withdrew its rights attestation: exclude every item of the dataset that no consent receipt covers; " +
    "usage of such items at or after revokedAt is refused",
};

/** One notice per active license on the dataset and scope whose window is not over, and one webhook per buyer. */
async function notifyLicensees(tx: Prisma.TransactionClient, w: Withdrawal): Promise<number> {
  const licenses = await tx.license.findMany({
    where: {
      status: "active",
      scope: w.scope,
      endsAt: { gt: w.at },
      datasets: { some: { datasetId: w.datasetId } },
    },
    select: { id: true, buyerId: true, buyer: { select: { address: true } } },
    orderBy: { id: "asc" },
  });
  if (licenses.length === 0) return 0;
  await tx.revocationNotice.createMany({
    data: licenses.map((l) => ({
      kind: w.kind,
      consentId: w.sourceId,
      buyerId: l.buyerId,
      licenseId: l.id,
      datasetId: w.datasetId,
      itemRef: w.itemRef,
      scope: w.scope,
      revokedAt: w.at,
    })),
    skipDuplicates: true,
  });
  const byBuyer = new Map<string, string[]>();
  for (const l of licenses) byBuyer.set(l.buyer.address, [...(byBuyer.get(l.buyer.address) ?? []), l.id]);
  for (const [address, licenseIds] of byBuyer) {
    await enqueueFor(tx, address, "buyer", w.kind === "consent" ? "consent.revoked" : "attestation.withdrawn", {
      datasetId: w.datasetId,
      itemRef: w.itemRef,
      scope: w.scope,
      revokedAt: w.at.toISOString(),
      licenseIds,
      action: w.kind === "attestation" ? ACTION.attestation : w.itemRef ? ACTION.item : ACTION.dataset,
    });
  }
  return licenses.length;
}

/** The caller's revocation notices after `since` (the last seq it has seen), oldest first. */
export async function revocationFeed(deps: Deps, buyerAddress: string, since: bigint, limit: number) {
  const buyer = await buyerByAddress(deps, buyerAddress);
  const rows = await deps.prisma.revocationNotice.findMany({
    where: { buyerId: buyer.id, seq: { gt: since } },
    orderBy: { seq: "asc" },
    take: limit,
  });
  const notices = rows.map((r) => ({
    seq: r.seq.toString(),
    kind: r.kind === "attestation" ? ("attestation.withdrawn" as const) : ("consent.revoked" as const),
    licenseId: r.licenseId,
    datasetId: r.datasetId,
    itemRef: r.itemRef,
    scope: r.scope,
    revokedAt: r.revokedAt.toISOString(),
    noticedAt: r.createdAt.toISOString(),
  }));
  return { notices, next: notices.length ? notices[notices.length - 1].seq : since.toString() };
}
