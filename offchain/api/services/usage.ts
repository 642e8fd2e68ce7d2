/**
 * Usage ingestion. A batch is validated as a whole against the buyer's licenses, datasets, consent and closed
 * epochs; any failing event rejects the batch (422, every failure listed). A valid batch is stored with ONE
 * `INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING`: a single statement, so all-or-nothing and durable
 * (committed) before the reply, and idempotent per (buyer, idempotencyKey): a re-sent event is counted once.
 */
import type { Prisma } from "../../db/generated/client";
import type { PrismaClient } from "../../db/client";
import { enqueueFor } from "../../webhooks/events";
import { unprocessable, type FieldError } from "../errors";
import { usageCoverage } from "./consent-basis";
import type { Deps } from "./deps";

type Db = PrismaClient | Prisma.TransactionClient;

async function usageHooks(prisma: PrismaClient, buyerId: string) {
  const buyer = await prisma.buyer.findUnique({ where: { id: buyerId }, select: { address: true } });
  const address = buyer?.address ?? "";
  const endpoints = await prisma.webhookEndpoint.findMany({
    where: {
      owner: address,
      role: "buyer",
      disabledAt: null,
      events: { hasSome: ["usage.accepted", "usage.rejected"] },
    },
    select: { events: true },
  });
  const has = (t: string) => endpoints.some((e) => e.events.includes(t));
  return { address, accepted: has("usage.accepted"), rejected: has("usage.rejected") };
}

/** usage.rejected carries counts per failure code only: the buyer already has its own events. */
async function notifyUsageRejected(
  prisma: PrismaClient,
  buyerId: string,
  received: number,
  errors: { code: string }[],
) {
  const hooks = await usageHooks(prisma, buyerId);
  if (!hooks.rejected) return;
  const byCode: Record<string, number> = {};
  for (const e of errors) byCode[e.code] = (byCode[e.code] ?? 0) + 1;
  await prisma.$transaction((tx) =>
    enqueueFor(tx, hooks.address, "buyer", "usage.rejected", { received, rejected: errors.length, byCode }),
  );
}

export type UsageEventInput = {
  licenseId: string;
  datasetId: string;
  itemRef: string;
  units: string;
  occurredAt: string;
  idempotencyKey: string;
};

export type IngestResult = { received: number; accepted: number; duplicates: number };

const FUTURE_SKEW_MS = 5 * 60_000;

// Timestamp columns hold UTC without a zone; send "YYYY-MM-DDTHH:MM:SS.mmm" so the session time zone never applies.
const utc = (d: Date) => d.toISOString().slice(0, 23);

export async function ingestUsage(
  { prisma, common }: Deps,
  buyerId: string,
  input: UsageEventInput[],
): Promise<IngestResult> {
  // Ids are stored lowercase; the route validates hex in any case and leaves lowercasing to this loop.
  const events = input.map((e) => ({
    ...e,
    licenseId: e.licenseId.toLowerCase(),
    datasetId: e.datasetId.toLowerCase(),
  }));
  const licenseIds = [...new Set(events.map((e) => e.licenseId))];
  const [licenses, lastEpoch] = await Promise.all([
    prisma.license.findMany({
      where: { id: { in: licenseIds }, buyerId },
      select: {
        id: true,
        status: true,
        scope: true,
        startsAt: true,
        endsAt: true,
        datasets: { select: { datasetId: true } },
      },
    }),
    prisma.epoch.findFirst({ orderBy: { id: "desc" }, select: { endsAt: true } }),
  ]);
  const byId = new Map(licenses.map((l) => [l.id, { ...l, datasetIds: new Set(l.datasets.map((d) => d.datasetId)) }]));
  const datasetIds = [...new Set(licenses.flatMap((l) => l.datasets.map((d) => d.datasetId)))];
  // Consent coverage of every item in the batch, for every model: one-time and subscription reports record which
  // items were used (units are informational, not billed), per-use and revenue-share reports are billed.
  const coverage = await usageCoverage(prisma, datasetIds, [...new Set(events.map((e) => e.itemRef))]);
  const closedUntil = lastEpoch?.endsAt.getTime() ?? -Infinity;
  const now = Date.now();
  const errors: (FieldError & { index: number; code: string })[] = [];
  const seen = new Set<string>();
  const occurred: string[] = new Array(events.length);
  events.forEach((e, i) => {
    const fail = (code: string, field: string, message: string) =>
      errors.push({ index: i, code, path: `/events/${i}/${field}`, message });
    if (seen.has(e.idempotencyKey)) fail("duplicate-in-batch", "idempotencyKey", "repeated within the batch");
    seen.add(e.idempotencyKey);
    const at = Date.parse(e.occurredAt);
    occurred[i] = utc(new Date(at));
    const l = byId.get(e.licenseId);
    if (!l) return fail("unknown-license", "licenseId", "no such license of yours");
    if (l.status !== "active" || at < l.startsAt.getTime() || at >= l.endsAt.getTime()) {
      return fail("license-inactive", "occurredAt", "the license was not active at this time");
    }
    if (!l.datasetIds.has(e.datasetId))
      return fail("unknown-dataset", "datasetId", "dataset not covered by this license");
    if (coverage.revokedBy(e.datasetId, l.scope, e.itemRef, at))
      return fail("consent-revoked", "occurredAt", "consent for this item was revoked before the event");
    if (!coverage.covered(e.datasetId, l.scope, e.itemRef, at))
      return fail("consent-not-covered", "itemRef", `no consent covers this item for ${l.scope} at occurredAt`);
    if (at < closedUntil) return fail("epoch-closed", "occurredAt", "falls in an epoch that is already closed");
    if (at > now + FUTURE_SKEW_MS) return fail("in-future", "occurredAt", "more than 5 minutes in the future");
  });
  if (errors.length) {
    await notifyUsageRejected(prisma, buyerId, events.length, errors);
    // One entry per failing event: its index in the batch, a stable code, the field path and a message.
    throw unprocessable(`${errors.length} of ${events.length} events rejected; nothing was stored`, errors);
  }
  const insert = (db: Db) => db.$executeRaw`
    INSERT INTO usage_events (buyer_id, license_id, dataset_id, item_ref, units, occurred_at, idempotency_key, received_at)
    SELECT ${buyerId}::uuid, t.l, t.d, t.i, t.u::numeric, t.o::timestamp, t.k, ${utc(new Date())}::timestamp
    FROM unnest(
      ${events.map((e) => e.licenseId)}::text[], ${events.map((e) => e.datasetId)}::text[],
      ${events.map((e) => e.itemRef)}::text[], ${events.map((e) => e.units)}::text[],
      ${occurred}::text[], ${events.map((e) => e.idempotencyKey)}::text[]
    ) AS t(l, d, i, u, o, k)
    ON CONFLICT (buyer_id, idempotency_key) DO NOTHING`;
  // Only a buyer with a usage.accepted webhook pays for the transaction that keeps the notice with the rows.
  const hooks = await usageHooks(prisma, buyerId);
  const inserted = hooks.accepted
    ? await prisma.$transaction(async (tx) => {
        const n = await insert(tx);
        const summary = { received: events.length, accepted: n, duplicates: events.length - n };
        await enqueueFor(tx, hooks.address, "buyer", "usage.accepted", summary);
        return n;
      })
    : await insert(prisma);
  common.metrics.usageEventsAccepted.inc(inserted);
  common.metrics.usageEventsDuplicate.inc(events.length - inserted);
  return { received: events.length, accepted: inserted, duplicates: events.length - inserted };
}
