/**
 * Usage ingestion. A batch is validated as a whole against the buyer's licenses, datasets, consent and closed
 * epochs; any failing event rejects the batch (422, every failure listed). A valid batch is stored with ONE
 * `INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING`: a single statement, so all-or-nothing and durable
 * (committed) before the reply, and idempotent per (buyer, idempotencyKey): a re-sent event is counted once, and a key re-used for a different
 * event is a 409 (problem `errors` name each such event) with nothing stored.
 *
 * Billed exactly once: the batch reads the last closed epoch and inserts under the epoch-close lock (shared: batches
 * run side by side, a close waits for them and they for it). An event is billed in the epoch whose window holds
 * max(occurred_at, end of the last closed epoch read under the lock): on-time events by occurred_at, late ones
 * (occurred in a closed epoch) through `billable_at` = that end, the start of the open epoch. So no event can fall
 * between two epochs, or in two. Late usage is accepted for LATE_USAGE_GRACE_SECONDS after it occurred, billed in
 * the next open epoch and counted as late in the epoch report; after that, 422 late-usage-expired.
 */
import type { Prisma } from "../../db/generated/client";
import type { PrismaClient } from "../../db/client";
import { EPOCH_CLOSE_LOCK } from "../../epochs/lock";
import { usageEventCommitments } from "../../merkle/usage-commitment";
import { enqueueFor } from "../../webhooks/events";
import { ApiError, unprocessable, type FieldError } from "../errors";
import { usageCoverage } from "./consent-basis";
import type { Deps } from "./deps";
import { instructionsFor, licenseBalance } from "./licenses";
import { addOpenUnits, openWindow } from "./open-usage";
import type { TokenAllowList } from "./token-allow-list";

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
  /** Revenue-share only (required there): the token the revenue is stated in. */
  currency?: string;
};

export type IngestResult = { received: number; accepted: number; duplicates: number };

const FUTURE_SKEW_MS = 5 * 60_000;

// Timestamp columns hold UTC without a zone; send "YYYY-MM-DDTHH:MM:SS.mmm" so the session time zone never applies.
const utc = (d: Date) => d.toISOString().slice(0, 23);

/**
 * Test seams: `beforeInsert` runs after the batch's reads and before its insert (the window in which a close used
 * to slip in); `afterCreditCheck` after the 402 decision, before the commit (the window in which a concurrent batch
 * of the same license used to pass its own check without seeing this one's rows).
 */
export type IngestHooks = { beforeInsert?: () => Promise<void>; afterCreditCheck?: () => Promise<void> };

export async function ingestUsage(
  deps: Deps,
  buyerId: string,
  input: UsageEventInput[],
  hooks: IngestHooks = {},
  tokens?: TokenAllowList,
): Promise<IngestResult> {
  try {
    return await deps.prisma.$transaction(
      async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock_shared(${EPOCH_CLOSE_LOCK}::bigint)`;
        return ingestLocked(tx as unknown as Deps["prisma"], deps, buyerId, input, hooks, tokens);
      },
      { timeout: 120_000, maxWait: 60_000 },
    );
  } catch (err) {
    // The rejected batch's transaction rolled back: its notice is queued on its own, after.
    if (err instanceof ApiError && err.status === 422 && err.errors?.length) {
      await notifyUsageRejected(deps.prisma, buyerId, input.length, err.errors as { code: string }[]);
    }
    throw err;
  }
}

/** The ingestion path without the lock: the caller holds EPOCH_CLOSE_LOCK (shared) in `prisma`, its transaction. */
export async function ingestLocked(
  prisma: Deps["prisma"],
  deps: Deps,
  buyerId: string,
  input: UsageEventInput[],
  hooks: IngestHooks,
  tokens?: TokenAllowList,
): Promise<IngestResult> {
  const { common } = deps;
  // Ids are stored lowercase; the route validates hex in any case and leaves lowercasing to this loop.
  const events = input.map((e) => ({
    ...e,
    licenseId: e.licenseId.toLowerCase(),
    datasetId: e.datasetId.toLowerCase(),
  }));
  const licenseIds = [...new Set(events.map((e) => e.licenseId))];
  // Sequential: inside a transaction every query shares one connection.
  const [licenses, window] = [
    await prisma.license.findMany({
      where: { id: { in: licenseIds }, buyerId },
      select: {
        id: true,
        status: true,
        scope: true,
        startsAt: true,
        endsAt: true,
        cancelledAt: true,
        model: true,
        token: true,
        price: true,
        periodSeconds: true,
        ratePerUnit: true,
        creditLimit: true,
        termsHash: true,
        datasets: { select: { datasetId: true } },
      },
    }),
    await openWindow(prisma),
  ];
  const byId = new Map(licenses.map((l) => [l.id, { ...l, datasetIds: new Set(l.datasets.map((d) => d.datasetId)) }]));
  const datasetIds = [...new Set(licenses.flatMap((l) => l.datasets.map((d) => d.datasetId)))];
  // Consent coverage of every item in the batch, for every model: one-time and subscription reports record which
  // items were used (units are informational, not billed), per-use and revenue-share reports are billed.
  const coverage = await usageCoverage(prisma, datasetIds, [...new Set(events.map((e) => e.itemRef))]);
  const closedUntil = window.since?.getTime() ?? -Infinity;
  const now = Date.now();
  const openFrom = window.since ? utc(window.since) : null;
  const billable: (string | null)[] = new Array(events.length).fill(null);
  const lateUntil = now - common.config.lifecycle.lateUsageGraceSeconds * 1000;
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
    // A cancelled license still takes (late) usage from before its cancellation.
    const until = Math.min(l.endsAt.getTime(), l.cancelledAt?.getTime() ?? Infinity);
    if ((l.status !== "active" && l.status !== "cancelled") || at < l.startsAt.getTime() || at >= until) {
      return fail("license-inactive", "occurredAt", "the license was not active at this time");
    }
    if (!l.datasetIds.has(e.datasetId))
      return fail("unknown-dataset", "datasetId", "dataset not covered by this license");
    // Revenue is money: it must be stated in the license token, or a report in another unit (USD cents against an
    // 18-decimal token) would be charged as base units of the token.
    if (l.model === "revenue_share") {
      if (e.currency === undefined)
        return fail("currency-required", "currency", `revenue must state its currency: the license token ${l.token}`);
      if (e.currency.toLowerCase() !== l.token)
        return fail("currency-mismatch", "currency", `revenue must be in the license token ${l.token}`);
    } else if (e.currency !== undefined)
      return fail("currency-not-applicable", "currency", `units of a ${l.model} license are not an amount of money`);
    if (coverage.revokedBy(e.datasetId, l.scope, e.itemRef, at))
      return fail("consent-revoked", "occurredAt", "consent for this item was revoked before the event");
    if (!coverage.covered(e.datasetId, l.scope, e.itemRef, at))
      return fail("consent-not-covered", "itemRef", `no consent covers this item for ${l.scope} at occurredAt`);
    if (at < closedUntil) billable[i] = openFrom;
    if (at < closedUntil && at < lateUntil)
      return fail(
        "late-usage-expired",
        "occurredAt",
        `falls in a closed epoch and is older than the late-usage grace (${common.config.lifecycle.lateUsageGraceSeconds} s)`,
      );
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
  // Each event's usage-inclusion commitment (random salt, leaf), stored with it so the close reads 32-byte leaves
  // instead of hashing every event (offchain/epochs/usage-commitment.ts). A re-sent event keeps its first salt.
  const commitment = await usageEventCommitments(
    events.map((e, i) => ({ licenseId: e.licenseId, datasetId: e.datasetId, idempotencyKey: keys[i], units: e.units })),
  );
  const hex32 = (b: Uint8Array, i: number) => Buffer.from(b.buffer, b.byteOffset + 32 * i, 32).toString("hex");
  const salts = events.map((_, i) => hex32(commitment.salts, i));
  const leaves = events.map((_, i) => hex32(commitment.leaves, i));
  await hooks.beforeInsert?.();
  // Inside the caller's transaction: the insert, then (only when some keys were already stored) the check that
  // each stored event is the one re-sent. A key re-used for another event rolls the whole batch back. Checking
  // after the insert, in READ COMMITTED, also sees an event a concurrent request committed while this one waited.
  // Returns the units actually inserted per license (re-sent duplicates are skipped), for the open-units counter.
  const perLicense = await prisma.$queryRaw<{ license_id: string; n: number; units: string }[]>`
    WITH ins AS (INSERT INTO usage_events (buyer_id, license_id, dataset_id, item_ref, units, occurred_at, idempotency_key, received_at, billable_at, commitment_salt, commitment_leaf)
    SELECT ${buyerId}::uuid, t.l, t.d, t.i, t.u::numeric, t.o::timestamp, t.k, ${utc(new Date(now))}::timestamp, t.b::timestamp,
      decode(t.s, 'hex'), decode(t.c, 'hex')
    FROM unnest(
      ${columns.l}::text[], ${columns.d}::text[], ${columns.i}::text[], ${columns.u}::text[],
      ${occurred}::text[], ${keys}::text[], ${billable}::text[], ${salts}::text[], ${leaves}::text[]
    ) AS t(l, d, i, u, o, k, b, s, c)
    ON CONFLICT (buyer_id, idempotency_key) DO NOTHING
    RETURNING license_id, units)
    SELECT license_id, count(*)::int AS n, sum(units)::text AS units FROM ins GROUP BY license_id`;
  const inserted = perLicense.reduce((a, r) => a + r.n, 0);
  if (inserted !== events.length) {
    const reused = await prisma.$queryRaw<{ n: bigint }[]>`
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
  }
  // Credit: checked after the insert, in the same transaction, so re-sent duplicates are not counted twice and a
  // refusal rolls the batch back. A per-use license may owe at most its credit limit beyond its escrow. Its open
  // units come from the running counter, updated here under its row lock: a concurrent batch of the same license
  // waits for this one's commit and then counts these rows too (offchain/api/services/open-usage.ts).
  const insertedUnits = new Map(perLicense.map((r) => [r.license_id, BigInt(r.units)]));
  const over = [];
  const perUse = licenses.filter((x) => x.model === "per_use").sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const l of perUse) {
    const units = await addOpenUnits(prisma, l.id, window, insertedUnits.get(l.id) ?? 0n);
    const balance = await licenseBalance(prisma, l, { window, units });
    if (BigInt(balance.owed) > BigInt(balance.creditLimit))
      over.push({
        licenseId: l.id,
        owed: balance.owed,
        creditLimit: balance.creditLimit,
        escrow: balance.escrow,
        depositInstructions: await instructionsFor(deps, l, tokens),
      });
  }
  if (over.length)
    throw new ApiError(402, "payment-required", "Payment required", {
      detail:
        `usage beyond escrow + credit limit on ${over.length} license(s); nothing was stored. ` +
        "Deposit at least owed − creditLimit and re-send the batch",
      extensions: { licenses: over },
    });
  await hooks.afterCreditCheck?.();
  // The usage.accepted notice is queued in the same transaction as the rows: both are stored, or neither.
  const webhooks = await usageHooks(prisma, buyerId);
  if (webhooks.accepted) {
    const summary = { received: events.length, accepted: inserted, duplicates: events.length - inserted };
    await enqueueFor(
      prisma as unknown as Prisma.TransactionClient,
      webhooks.address,
      "buyer",
      "usage.accepted",
      summary,
    );
  }
  common.metrics.usageEventsAccepted.inc(inserted);
  common.metrics.usageEventsDuplicate.inc(events.length - inserted);
  return { received: events.length, accepted: inserted, duplicates: events.length - inserted };
}
