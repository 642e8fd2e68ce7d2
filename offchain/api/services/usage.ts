/**
 * Usage ingestion. A batch is validated as a whole against the buyer's licenses, datasets, consent and closed
 * epochs; any failing event rejects the batch (422, every failure listed). A valid batch is stored with ONE
 * `INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING` in one transaction, so all-or-nothing and durable
 * (committed) before the reply, and idempotent per (buyer, idempotencyKey): a re-sent event is counted once, and
 * a key re-used for a different event is a 409 (problem `errors` name each such event) with nothing stored.
 */
import { ApiError, unprocessable, type FieldError } from "../errors";
import type { Deps } from "./deps";

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
  // Earliest revocation per (dataset, scope, item) — item "" stands for a whole-dataset consent.
  const revocations = new Map<string, number>();
  if (datasetIds.length) {
    const revoked = await prisma.consentRecord.findMany({
      where: { datasetId: { in: datasetIds }, revokedAt: { not: null } },
      select: { datasetId: true, scope: true, itemRef: true, revokedAt: true },
    });
    for (const r of revoked) {
      const k = `${r.datasetId}|${r.scope}|${r.itemRef ?? ""}`;
      const t = r.revokedAt!.getTime();
      revocations.set(k, Math.min(t, revocations.get(k) ?? t));
    }
  }
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
    const revokedAt = Math.min(
      revocations.get(`${e.datasetId}|${l.scope}|`) ?? Infinity,
      revocations.get(`${e.datasetId}|${l.scope}|${e.itemRef}`) ?? Infinity,
    );
    if (revokedAt <= at)
      return fail("consent-revoked", "occurredAt", "consent for this item was revoked before the event");
    if (at < closedUntil) return fail("epoch-closed", "occurredAt", "falls in an epoch that is already closed");
    if (at > now + FUTURE_SKEW_MS) return fail("in-future", "occurredAt", "more than 5 minutes in the future");
  });
  if (errors.length) {
    // One entry per failing event: its index in the batch, a stable code, the field path and a message.
    throw unprocessable(`${errors.length} of ${events.length} events rejected; nothing was stored`, errors);
  }
  const keys = events.map((e) => e.idempotencyKey);
  const columns = {
    l: events.map((e) => e.licenseId),
    d: events.map((e) => e.datasetId),
    i: events.map((e) => e.itemRef),
    u: events.map((e) => e.units),
  };
  // One transaction: the insert, then (only when some keys were already stored) the check that each stored
  // event is the one re-sent. A key re-used for another event rolls the whole batch back. Checking after the
  // insert, in READ COMMITTED, also sees an event a concurrent request committed while this insert waited on it.
  const inserted = await prisma.$transaction(
    async (tx) => {
      const n = await tx.$executeRaw`
        INSERT INTO usage_events (buyer_id, license_id, dataset_id, item_ref, units, occurred_at, idempotency_key, received_at)
        SELECT ${buyerId}::uuid, t.l, t.d, t.i, t.u::numeric, t.o::timestamp, t.k, ${utc(new Date())}::timestamp
        FROM unnest(
          ${columns.l}::text[], ${columns.d}::text[], ${columns.i}::text[], ${columns.u}::text[],
          ${occurred}::text[], ${keys}::text[]
        ) AS t(l, d, i, u, o, k)
        ON CONFLICT (buyer_id, idempotency_key) DO NOTHING`;
      if (n === events.length) return n;
      const reused = await tx.$queryRaw<{ n: bigint }[]>`
        SELECT t.n FROM unnest(
          ${columns.l}::text[], ${columns.d}::text[], ${columns.i}::text[], ${columns.u}::text[],
          ${occurred}::text[], ${keys}::text[]
        ) WITH ORDINALITY AS t(l, d, i, u, o, k, n)
        JOIN usage_events e ON e.buyer_id = ${buyerId}::uuid AND e.idempotency_key = t.k
        WHERE e.license_id <> t.l OR e.dataset_id <> t.d OR e.item_ref <> t.i
           OR e.units <> t.u::numeric OR e.occurred_at <> t.o::timestamp
        ORDER BY t.n LIMIT 100`;
      if (reused.length) {
        throw new ApiError(409, "idempotency-key-reused", "Conflict", {
          detail:
            `${reused.length === 100 ? "100 or more" : reused.length} idempotency keys were already used for ` +
            "different events; nothing was stored",
          errors: reused.map((r) => {
            const index = Number(r.n) - 1;
            return {
              index,
              code: "idempotency-key-reused",
              path: `/events/${index}/idempotencyKey`,
              message: "already stored with a different licenseId, datasetId, itemRef, units or occurredAt",
            };
          }),
        });
      }
      return n;
    },
    { maxWait: 60_000, timeout: 60_000 },
  );
  common.metrics.usageEventsAccepted.inc(inserted);
  common.metrics.usageEventsDuplicate.inc(events.length - inserted);
  return { received: events.length, accepted: inserted, duplicates: events.length - inserted };
}
