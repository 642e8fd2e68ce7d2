/**
 * Webhook events enter the outbox in the same transaction as the change they report, so an acknowledged change
 * always has its deliveries and a rolled-back one has none. Each payload is built for its recipient: a creator
 * never receives a buyer's identity, a buyer never another buyer's licenses, nobody a consent subject.
 */
import crypto from "node:crypto";
import type { Prisma } from "../db/generated/client";

export const WEBHOOK_EVENTS = [
  "consent.revoked",
  "attestation.withdrawn",
  "license.taken",
  "license.cancelled",
  "shares.change-proposed",
  "deposit.confirmed",
  "usage.accepted",
  "usage.rejected",
  "epoch.claimable",
  "refund.available",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

type Tx = Prisma.TransactionClient;

/** Standard Webhooks payload: { type, timestamp, data }; the message id travels in the webhook-id header. */
export function webhookPayload(type: WebhookEventType, data: Record<string, unknown>, at = new Date()) {
  return { type, timestamp: at.toISOString(), data };
}

/** Queues one delivery per endpoint of `owner` subscribed to `type`. Returns the message ids. */
export async function enqueueFor(
  tx: Tx,
  owner: string,
  role: "creator" | "buyer",
  type: WebhookEventType,
  data: Record<string, unknown>,
): Promise<string[]> {
  const endpoints = await tx.webhookEndpoint.findMany({
    where: { owner, role, disabledAt: null, events: { has: type } },
    select: { id: true },
  });
  if (endpoints.length === 0) return [];
  const payload = webhookPayload(type, data) as Prisma.InputJsonValue;
  const rows = endpoints.map((e) => ({ id: `msg_${crypto.randomUUID()}`, endpointId: e.id, eventType: type, payload }));
  await tx.webhookDelivery.createMany({ data: rows });
  return rows.map((r) => r.id);
}

type TakenLicense = {
  id: string;
  offerId: string;
  model: string;
  scope: string;
  startsAt: Date;
  endsAt: Date;
  termsHash: string | null;
  datasets: { datasetId: string }[];
};

const licenseData = (l: TakenLicense) => ({
  licenseId: l.id,
  offerId: l.offerId,
  model: l.model,
  scope: l.scope,
  datasetIds: l.datasets.map((d) => d.datasetId).sort(),
  startsAt: l.startsAt.toISOString(),
  endsAt: l.endsAt.toISOString(),
  termsHash: l.termsHash,
});

/** license.taken: to the creator (without the buyer) and to the buyer itself. */
export async function enqueueLicenseTaken(tx: Tx, l: TakenLicense, creatorId: string, buyerAddress: string) {
  const data = licenseData(l);
  const creator = await tx.creator.findUniqueOrThrow({ where: { id: creatorId }, select: { address: true } });
  await enqueueFor(tx, creator.address, "creator", "license.taken", data);
  await enqueueFor(tx, buyerAddress, "buyer", "license.taken", data);
}

/** license.cancelled: the same two parties as license.taken, the same fields, and when it was cancelled. */
export async function enqueueLicenseCancelled(
  tx: Tx,
  l: TakenLicense & { cancelledAt: Date | null },
  creatorId: string,
  buyerAddress: string,
) {
  const data = { ...licenseData(l), cancelledAt: l.cancelledAt?.toISOString() ?? null };
  const creator = await tx.creator.findUniqueOrThrow({ where: { id: creatorId }, select: { address: true } });
  await enqueueFor(tx, creator.address, "creator", "license.cancelled", data);
  await enqueueFor(tx, buyerAddress, "buyer", "license.cancelled", data);
}
