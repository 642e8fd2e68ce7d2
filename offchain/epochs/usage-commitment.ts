/**
 * The epoch close's usage-inclusion commitment: every usage event the close bills (per-use units and revenue-share
 * revenue, by the same window rule as `settlementInput`) becomes an `event` record, and each (license, dataset) its
 * `aggregate` record; offchain/merkle/usage-commitment.ts commits to them under a fresh 32-byte epoch secret. The
 * root goes into the distribution file's header; the secret is stored in the epoch's row (private) so that receipts
 * can be re-issued later by rebuilding the same commitment from the same rows.
 *
 * The window rule makes the record set of a closed epoch stable: usage received after the close is billed at the
 * open epoch (`billable_at`), never inside a closed window.
 */
import { randomBytes } from "node:crypto";
import type { Hex } from "viem";
import type { PrismaClient } from "../db/client";
import { buildUsageCommitment, type UsageCommitment, type UsageRecord } from "../merkle/usage-commitment";
import { EpochUsageCommitmentMismatchError } from "./errors";

type Tx = Pick<PrismaClient, "$queryRaw">;

type EventRow = { license_id: string; dataset_id: string; event_ref: string; units: string };

/**
 * The billed usage of window [start, end) as commitment records: events in (license, dataset) order, then one
 * aggregate per (license, dataset) with its event count and unit sum.
 */
export async function billedUsageRecords(tx: Tx, start: Date, end: Date): Promise<UsageRecord[]> {
  const rows = await tx.$queryRaw<EventRow[]>`
      SELECT lower(u.license_id) AS license_id, lower(u.dataset_id) AS dataset_id, u.units::text AS units,
        -- usageEventRef (offchain/merkle/usage-commitment.ts), in C: a million of them in JS would cost seconds.
        '0x' || encode(sha256(convert_to(lower(u.license_id) || ':' || u.idempotency_key, 'UTF8')), 'hex') AS event_ref
      FROM usage_events u
      JOIN licenses l ON l.id = u.license_id
      WHERE l.model IN ('per_use', 'revenue_share')
        AND ((u.billable_at IS NULL AND u.occurred_at >= ${start} AND u.occurred_at < ${end})
          OR (u.billable_at >= ${start} AND u.billable_at < ${end}))`;
  const records: UsageRecord[] = new Array(rows.length);
  const sums = new Map<string, { licenseId: string; datasetId: string; events: number; units: bigint }>();
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    records[i] = {
      kind: "event",
      licenseId: r.license_id,
      datasetId: r.dataset_id,
      eventRef: r.event_ref,
      units: r.units,
    };
    const key = `${r.license_id}:${r.dataset_id}`;
    const sum = sums.get(key);
    if (sum) {
      sum.events++;
      sum.units += BigInt(r.units);
    } else sums.set(key, { licenseId: r.license_id, datasetId: r.dataset_id, events: 1, units: BigInt(r.units) });
  }
  for (const s of [...sums.values()].sort((a, b) =>
    a.licenseId === b.licenseId ? (a.datasetId < b.datasetId ? -1 : 1) : a.licenseId < b.licenseId ? -1 : 1,
  ))
    records.push({
      kind: "aggregate",
      licenseId: s.licenseId,
      datasetId: s.datasetId,
      events: String(s.events),
      units: s.units.toString(),
    });
  return records;
}

/** Commits to the window's billed usage under a fresh secret (the close stores both root and secret). */
export async function commitEpochUsage(
  tx: Tx,
  epoch: number,
  start: Date,
  end: Date,
): Promise<{ commitment: UsageCommitment; secret: Hex }> {
  const secret = `0x${randomBytes(32).toString("hex")}` as Hex;
  const records = await billedUsageRecords(tx, start, end);
  return { commitment: await buildUsageCommitment({ epoch, secret, records }), secret };
}

/**
 * Rebuilds a closed epoch's commitment from its rows and stored secret, to serve receipts.
 * @throws EpochUsageCommitmentMismatchError when the rebuilt root is not the one the epoch published (its usage rows
 *   changed after the close): no receipt is issued against a root the chain does not anchor.
 */
export async function rebuildEpochUsage(
  tx: Tx,
  epoch: { id: number; startsAt: Date; endsAt: Date; usageRoot: string; usageSecret: string },
): Promise<UsageCommitment> {
  const records = await billedUsageRecords(tx, epoch.startsAt, epoch.endsAt);
  const commitment = await buildUsageCommitment({ epoch: epoch.id, secret: epoch.usageSecret as Hex, records });
  if (commitment.root !== epoch.usageRoot) throw new EpochUsageCommitmentMismatchError(epoch.id);
  return commitment;
}
