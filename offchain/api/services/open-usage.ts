/**
 * The per-use units of a license that no standing epoch has billed yet, as a running counter (license_open_usage).
 *
 * Why a counter: the 402 credit check used to sum the license's unbilled usage_events on every batch, so each batch
 * cost grew with the events already ingested in the epoch (quadratic within an epoch; bench:ingest lost 10–17 %).
 * The counter is one row per license, changed in the same transaction as the rows it counts:
 * - ingestion adds the units it actually inserted (duplicates skipped) and reads the total back (`addOpenUnits`);
 * - a correction before close voids a row and subtracts its units (`subtractOpenUnits`).
 * Both run under the epoch-close lock held shared, so the epochs cannot change meanwhile. Concurrent batches of one
 * license queue on the row's lock and each adds to the total the previous one committed (READ COMMITTED re-reads
 * the updated row), so two batches racing for the last credit see each other: the second is refused.
 *
 * The row is valid for the (last non-vetoed, last) epoch pair it was kept under. A close adds an epoch and a veto
 * lowers the last non-vetoed one, so either makes the pair new; the next batch then re-derives the row from
 * usage_events with the close's own window test (events billable at or after the last standing epoch's end, which
 * includes any event the close left for later), once per license per epoch. The close itself never touches it.
 */
import { Prisma } from "../../db/generated/client";
import { lastStandingEpoch } from "../../epochs/standing-epoch";
import type { Deps } from "./deps";

type Db = Pick<Deps["prisma"], "$queryRaw" | "epoch">;

/** Which epochs the counter is kept under, and where the unbilled window starts. */
export type OpenWindow = { baseEpoch: number; latestEpoch: number; since: Date | null };

export async function openWindow(db: Db): Promise<OpenWindow> {
  const base = await lastStandingEpoch(db);
  const latest = await db.epoch.findFirst({ orderBy: { id: "desc" }, select: { id: true } });
  return { baseEpoch: base?.id ?? 0, latestEpoch: latest?.id ?? 0, since: base?.endsAt ?? null };
}

// Timestamp columns hold UTC without a zone: compare with a zone-less literal (see usage.ts).
const sinceLiteral = (w: OpenWindow) => (w.since ?? new Date(0)).toISOString().slice(0, 23);

/**
 * The license's unbilled rows, written as the close's window test so the occurred_at and billable_at indexes
 * bound the scan to the open epoch's rows. Used when the counter row is missing or was kept under other epochs.
 */
function openRows(licenseId: string, w: OpenWindow): Prisma.Sql {
  const since = sinceLiteral(w);
  return Prisma.sql`license_id = ${licenseId} AND voided_at IS NULL
    AND ((billable_at IS NULL AND occurred_at >= ${since}::timestamp) OR billable_at >= ${since}::timestamp)`;
}

async function summedUnits(db: Db, licenseId: string, w: OpenWindow): Promise<bigint> {
  const [{ units }] = await db.$queryRaw<{ units: string | null }[]>`
    SELECT sum(units)::text AS units FROM usage_events WHERE ${openRows(licenseId, w)}`;
  return BigInt(units ?? "0");
}

/** Read-only: the counter when it is current, else the exact sum (the next batch will store it). */
export async function openUnits(db: Db, licenseId: string, w: OpenWindow): Promise<bigint> {
  const [row] = await db.$queryRaw<{ units: string }[]>`
    SELECT units::text AS units FROM license_open_usage
    WHERE license_id = ${licenseId} AND base_epoch = ${w.baseEpoch} AND latest_epoch = ${w.latestEpoch}`;
  return row ? BigInt(row.units) : summedUnits(db, licenseId, w);
}

/**
 * Adds `delta` units the caller's transaction just inserted for the license and returns the license's open units,
 * those rows included. The caller holds the epoch-close lock (shared) and calls this for its licenses in id order
 * (row locks always taken in one order: no deadlock between batches naming several licenses).
 */
export async function addOpenUnits(db: Db, licenseId: string, w: OpenWindow, delta: bigint): Promise<bigint> {
  const [hit] = await db.$queryRaw<{ units: string }[]>`
    UPDATE license_open_usage SET units = units + ${delta.toString()}::numeric
    WHERE license_id = ${licenseId} AND base_epoch = ${w.baseEpoch} AND latest_epoch = ${w.latestEpoch}
    RETURNING units::text AS units`;
  if (hit) return BigInt(hit.units);
  // Missing or stale: store the exact sum, which already holds this transaction's own rows. If a concurrent batch
  // stored the current row first, this one waits for it and adds its delta to that row instead (the sum computed
  // here is then discarded: it could not see that batch's rows).
  const [row] = await db.$queryRaw<{ units: string }[]>`
    INSERT INTO license_open_usage AS o (license_id, base_epoch, latest_epoch, units)
    VALUES (${licenseId}, ${w.baseEpoch}, ${w.latestEpoch}, (
      SELECT coalesce(sum(units), 0) FROM usage_events WHERE ${openRows(licenseId, w)}))
    ON CONFLICT (license_id) DO UPDATE SET
      units = CASE WHEN o.base_epoch = excluded.base_epoch AND o.latest_epoch = excluded.latest_epoch
                   THEN o.units + ${delta.toString()}::numeric ELSE excluded.units END,
      base_epoch = excluded.base_epoch, latest_epoch = excluded.latest_epoch
    RETURNING units::text AS units`;
  return BigInt(row.units);
}

/** A correction voided an unbilled row of the license: its units leave the counter (if the counter is current). */
export async function subtractOpenUnits(db: Db, licenseId: string, w: OpenWindow, units: bigint): Promise<void> {
  await db.$queryRaw`
    UPDATE license_open_usage SET units = units - ${units.toString()}::numeric
    WHERE license_id = ${licenseId} AND base_epoch = ${w.baseEpoch} AND latest_epoch = ${w.latestEpoch}
    RETURNING license_id`;
}
