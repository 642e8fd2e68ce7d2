/**
 * Revocations that reach the licensee: each revocation writes one notice per active license covering the item
 * (same dataset and scope, window not yet over at revokedAt) and a consent.revoked webhook to each such buyer,
 * naming only that buyer's own licenses. Buyers read the same notices from a pull feed.
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
  const revokedAt = c.revokedAt as Date;
  const licenses = await tx.license.findMany({
    where: {
      status: "active",
      scope: c.scope,
      endsAt: { gt: revokedAt },
      datasets: { some: { datasetId: c.datasetId } },
    },
    select: { id: true, buyerId: true, buyer: { select: { address: true } } },
    orderBy: { id: "asc" },
  });
  if (licenses.length === 0) return 0;
  await tx.revocationNotice.createMany({
    data: licenses.map((l) => ({
      consentId: c.id,
      buyerId: l.buyerId,
      licenseId: l.id,
      datasetId: c.datasetId,
      itemRef: c.itemRef,
      scope: c.scope,
      revokedAt,
    })),
    skipDuplicates: true,
  });
  const byBuyer = new Map<string, string[]>();
  for (const l of licenses) byBuyer.set(l.buyer.address, [...(byBuyer.get(l.buyer.address) ?? []), l.id]);
  for (const [address, licenseIds] of byBuyer) {
    await enqueueFor(tx, address, "buyer", "consent.revoked", {
      datasetId: c.datasetId,
      itemRef: c.itemRef,
      scope: c.scope,
      revokedAt: revokedAt.toISOString(),
      licenseIds,
      action: c.itemRef
        ? "exclude the item from further use; usage of it at or after revokedAt is refused"
        : "exclude the whole dataset from further use; usage at or after revokedAt is refused",
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
    licenseId: r.licenseId,
    datasetId: r.datasetId,
    itemRef: r.itemRef,
    scope: r.scope,
    revokedAt: r.revokedAt.toISOString(),
    noticedAt: r.createdAt.toISOString(),
  }));
  return { notices, next: notices.length ? notices[notices.length - 1].seq : since.toString() };
}
