/**
 * Usage corrections: a buyer lowers the units of one of its own per-use or revenue-share events (a negative
 * adjustment; never upwards, which is a new event). A batch is validated as a whole and applied in one transaction
 * under the epoch-close lock (shared, like ingestion), so a close sees either none or all of it:
 * - **not billed yet** (no standing closed epoch holds the event): the event's row is voided (`voided_at`; every
 *   query of the close skips it) and, if units > 0, the corrected event is inserted through the ingestion path
 *   (`ingestLocked`: same checks, same per-event commitment) under the key `<idempotencyKey>~correction~<correctionKey>`;
 *   the epoch bills the corrected units only.
 * - **billed** (a closed epoch holds it): the row stays (the published commitment and cumulatives never change) and
 *   the correction stores a credit of Δunits × ratePerUnit (base units of the license token). The next close passes
 *   unsettled credits to the engine (`credits`), which sets them against the license's owed and later charges on the
 *   event's dataset, and marks them settled by that epoch; a veto of that epoch returns them to the pool. Credit left
 *   unused when the license ends is not refunded: that money was already paid to creators, and a refund is only
 *   ever what is left in escrow (offchain/settlement/lifecycle.ts).
 * Revenue share after close is refused (422 correction-after-close-unsupported): the engine charges
 * ⌊Σ revenue · bps / 10,000⌋ over the whole epoch, so the credit of one event depends on every other event of the
 * epoch; before close it is corrected like per-use.
 * Idempotent per (buyer, correctionKey): the same correction re-sent is a duplicate, a key re-used for another is 409.
 */
import type { PrismaClient } from "../../db/client";
import { EPOCH_CLOSE_LOCK } from "../../epochs/lock";
import { openWindow, subtractOpenUnits } from "./open-usage";
import { ApiError, unprocessable, type FieldError } from "../errors";
import type { Deps } from "./deps";
import { ingestLocked } from "./usage";

export type UsageCorrectionInput = {
  licenseId: string;
  idempotencyKey: string;
  units: string;
  correctionKey: string;
};

export type CorrectionOutcome = {
  correctionKey: string;
  /** voided: corrected before billing (the epoch bills `units`); credit: after, `credit` is set against later charges. */
  applied: "voided" | "credit";
  /** Base units of the license token credited ("0" when voided). */
  credit: string;
  duplicate: boolean;
};

export type CorrectionResult = {
  received: number;
  applied: number;
  duplicates: number;
  corrections: CorrectionOutcome[];
};

type Tx = PrismaClient;
type ItemError = FieldError & { index: number; code: string };

/** The key of the row a before-close correction inserts. */
const replacementKeyOf = (eventKey: string, correctionKey: string) => `${eventKey}~correction~${correctionKey}`;

export async function correctUsage(
  deps: Deps,
  buyerId: string,
  input: UsageCorrectionInput[],
): Promise<CorrectionResult> {
  return deps.prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock_shared(${EPOCH_CLOSE_LOCK}::bigint)`;
      return correctLocked(tx as unknown as Tx, deps, buyerId, input);
    },
    { timeout: 120_000, maxWait: 60_000 },
  );
}

async function correctLocked(
  tx: Tx,
  deps: Deps,
  buyerId: string,
  raw: UsageCorrectionInput[],
): Promise<CorrectionResult> {
  const items = raw.map((c) => ({ ...c, licenseId: c.licenseId.toLowerCase() }));
  // Sequential: inside a transaction every query shares one connection.
  const stored = await tx.usageCorrection.findMany({
    where: { buyerId, correctionKey: { in: items.map((c) => c.correctionKey) } },
  });
  const storedByKey = new Map(stored.map((c) => [c.correctionKey, c]));
  const events = await tx.usageEvent.findMany({
    where: { buyerId, idempotencyKey: { in: items.map((c) => c.idempotencyKey) } },
  });
  const eventByKey = new Map(events.map((e) => [e.idempotencyKey, e]));
  const licenses = await tx.license.findMany({
    where: { buyerId, id: { in: [...new Set(items.map((c) => c.licenseId))] } },
    select: { id: true, model: true, token: true, ratePerUnit: true },
  });
  const licenseById = new Map(licenses.map((l) => [l.id, l]));
  const earlier = await tx.usageCorrection.findMany({
    where: { buyerId, eventKey: { in: items.map((c) => c.idempotencyKey) } },
    orderBy: { units: "asc" },
  });
  // A correction's own corrected row is not an event to correct: correct the original (its key) instead.
  const replacements = new Set(
    (
      await tx.usageCorrection.findMany({
        where: { buyerId, replacementKey: { in: items.map((c) => c.idempotencyKey) } },
        select: { replacementKey: true },
      })
    ).map((c) => c.replacementKey),
  );
  const window = await openWindow(tx);
  const closedUntil = window.since?.getTime() ?? -Infinity;

  const missing: ItemError[] = [];
  const errors: ItemError[] = [];
  const reused: ItemError[] = [];
  const seenKeys = new Set<string>();
  const seenEvents = new Set<string>();
  type Plan = {
    index: number;
    item: (typeof items)[number];
    event: (typeof events)[number];
    previous: bigint;
    /** The row a before-close correction voids: the original, or the replacement of an earlier correction. */
    liveKey: string | null;
    credit: bigint | null;
  };
  const plans: Plan[] = [];
  const outcomes: (CorrectionOutcome | undefined)[] = new Array(items.length);
  for (const [index, c] of items.entries()) {
    const fail = (list: ItemError[], code: string, field: string, message: string) =>
      list.push({ index, code, path: `/corrections/${index}/${field}`, message });
    if (seenKeys.has(c.correctionKey)) {
      fail(errors, "duplicate-in-batch", "correctionKey", "repeated within the batch");
      continue;
    }
    seenKeys.add(c.correctionKey);
    const prior = storedByKey.get(c.correctionKey);
    if (prior) {
      if (prior.licenseId !== c.licenseId || prior.eventKey !== c.idempotencyKey || prior.units.toFixed() !== c.units)
        fail(reused, "correction-key-reused", "correctionKey", "already stored for a different correction");
      else
        outcomes[index] = {
          correctionKey: c.correctionKey,
          applied: prior.credit === null ? "voided" : "credit",
          credit: prior.credit?.toFixed() ?? "0",
          duplicate: true,
        };
      continue;
    }
    const event = eventByKey.get(c.idempotencyKey);
    const license = licenseById.get(c.licenseId);
    if (!event || !license || event.licenseId !== c.licenseId || replacements.has(c.idempotencyKey)) {
      fail(missing, "unknown-event", "idempotencyKey", "no such usage event of yours on this license");
      continue;
    }
    if (seenEvents.has(c.idempotencyKey)) {
      fail(errors, "event-repeated-in-batch", "idempotencyKey", "one correction per event in a batch");
      continue;
    }
    seenEvents.add(c.idempotencyKey);
    if (license.model !== "per_use" && license.model !== "revenue_share") {
      fail(errors, "units-not-billed", "licenseId", `units of a ${license.model} license are not billed`);
      continue;
    }
    const mine = earlier.filter((e) => e.eventKey === c.idempotencyKey);
    // Each correction lowers the units: the latest is the one with the fewest.
    const latest = mine[0];
    const previous = latest ? BigInt(latest.units.toFixed()) : BigInt(event.units.toFixed());
    if (BigInt(c.units) >= previous) {
      fail(errors, "units-not-lower", "units", `a correction lowers the units: currently ${previous}`);
      continue;
    }
    const liveKey = latest ? latest.replacementKey : event.idempotencyKey;
    const live = liveKey === null ? undefined : liveKey === event.idempotencyKey ? event : undefined;
    const liveRow =
      live ??
      (liveKey
        ? await tx.usageEvent.findUnique({ where: { buyerId_idempotencyKey: { buyerId, idempotencyKey: liveKey } } })
        : null);
    const billedAt = (liveRow ?? event).billableAt ?? (liveRow ?? event).occurredAt;
    // Billed: a standing closed epoch holds the live row, or an earlier correction already credited (an epoch that
    // billed it was vetoed since; its credit is still due, so this one must be a credit too to stay consistent).
    const billed = billedAt.getTime() < closedUntil || mine.some((m) => m.credit !== null);
    if (billed && license.model === "revenue_share") {
      fail(
        errors,
        "correction-after-close-unsupported",
        "idempotencyKey",
        "revenue-share usage can be corrected only before the epoch that bills it closes",
      );
      continue;
    }
    const rate = license.ratePerUnit ? BigInt(license.ratePerUnit.toFixed()) : 0n;
    plans.push({
      index,
      item: c,
      event,
      previous,
      liveKey: billed ? null : liveKey,
      credit: billed ? (previous - BigInt(c.units)) * rate : null,
    });
  }
  if (missing.length)
    throw new ApiError(404, "NOT_FOUND", "Not found", {
      detail: `${missing.length} of ${items.length} corrections name no usage event of yours; nothing was stored`,
      errors: missing,
    });
  if (reused.length)
    throw new ApiError(409, "idempotency-key-reused", "Conflict", {
      detail: `${reused.length} correction keys were already used for different corrections; nothing was stored`,
      errors: reused,
    });
  if (errors.length)
    throw unprocessable(`${errors.length} of ${items.length} corrections refused; nothing was stored`, errors);

  const now = new Date();
  for (const p of plans) {
    const { item, event } = p;
    let replacementKey: string | null = null;
    if (p.credit === null) {
      const voided = await tx.usageEvent.update({
        where: { buyerId_idempotencyKey: { buyerId, idempotencyKey: p.liveKey! } },
        data: { voidedAt: now },
        select: { units: true },
      });
      // The voided row was unbilled, so the license's running open units held it (the replacement adds its own).
      if (licenseById.get(item.licenseId)?.model === "per_use")
        await subtractOpenUnits(tx, item.licenseId, window, BigInt(voided.units.toFixed()));
      if (BigInt(item.units) > 0n) {
        replacementKey = replacementKeyOf(event.idempotencyKey, item.correctionKey);
        const license = licenseById.get(item.licenseId)!;
        try {
          await ingestLocked(
            tx,
            deps,
            buyerId,
            [
              {
                licenseId: event.licenseId,
                datasetId: event.datasetId,
                itemRef: event.itemRef,
                units: item.units,
                occurredAt: event.occurredAt.toISOString(),
                idempotencyKey: replacementKey,
                ...(license.model === "revenue_share" ? { currency: license.token } : {}),
              },
            ],
            {},
          );
        } catch (err) {
          // The corrected event is refused by an ingestion check (e.g. late usage past its grace): name the correction.
          if (err instanceof ApiError && err.status === 422)
            throw unprocessable(
              `correction ${p.index} refused: its corrected event is not accepted; nothing was stored`,
              (err.errors ?? []).map((e) => ({ ...e, index: p.index, path: `/corrections/${p.index}/idempotencyKey` })),
            );
          throw err;
        }
      }
    }
    await tx.usageCorrection.create({
      data: {
        buyerId,
        correctionKey: item.correctionKey,
        licenseId: item.licenseId,
        datasetId: event.datasetId,
        eventKey: event.idempotencyKey,
        units: item.units,
        previousUnits: p.previous.toString(),
        replacementKey,
        credit: p.credit === null ? null : p.credit.toString(),
      },
    });
    outcomes[p.index] = {
      correctionKey: item.correctionKey,
      applied: p.credit === null ? "voided" : "credit",
      credit: (p.credit ?? 0n).toString(),
      duplicate: false,
    };
  }
  const corrections = outcomes as CorrectionOutcome[];
  const duplicates = corrections.filter((o) => o.duplicate).length;
  return { received: items.length, applied: items.length - duplicates, duplicates, corrections };
}
