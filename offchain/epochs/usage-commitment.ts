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
import { createHash, randomBytes } from "node:crypto";
import type { Hex } from "viem";
import type { PrismaClient } from "../db/client";
import { buildUsageCommitment, type UsageCommitment, type UsageRecord } from "../merkle/usage-commitment";
import { EpochUsageCommitmentMismatchError } from "./errors";

type Tx = Pick<PrismaClient, "$queryRaw">;

type GroupRow = { license_id: string; dataset_id: string; keys: string[]; units: string[] };

/**
 * The billed usage of window [start, end) as commitment records: per (license, dataset), ascending, its events and
 * then its aggregate (event count and unit sum).
 *
 * One row per (license, dataset) with its events' keys and units as arrays: on the embedded database, decoding a
 * million rows cost ~3 µs each; the arrays cost a fraction of that (bench:epoch). Event refs are hashed here, with
 * node's native SHA-256 (`usageEventRef` is the reference; the receipts test pins the two together).
 */
export async function billedUsageRecords(tx: Tx, start: Date, end: Date): Promise<UsageRecord[]> {
  const groups = await tx.$queryRaw<GroupRow[]>`
      SELECT lower(u.license_id) AS license_id, lower(u.dataset_id) AS dataset_id,
        array_agg(u.idempotency_key) AS keys, array_agg(u.units::text) AS units
      FROM usage_events u
      JOIN licenses l ON l.id = u.license_id
      WHERE u.voided_at IS NULL AND l.model IN ('per_use', 'revenue_share')
        AND ((u.billable_at IS NULL AND u.occurred_at >= ${start} AND u.occurred_at < ${end})
          OR (u.billable_at >= ${start} AND u.billable_at < ${end}))
      GROUP BY 1, 2 ORDER BY 1, 2`;
  const records: UsageRecord[] = [];
  for (const g of groups) {
    let sum = 0n;
    for (let i = 0; i < g.keys.length; i++) {
      const eventRef = `0x${createHash("sha256").update(`${g.license_id}:${g.keys[i]}`, "utf8").digest("hex")}`;
      records.push({ kind: "event", licenseId: g.license_id, datasetId: g.dataset_id, eventRef, units: g.units[i] });
      sum += BigInt(g.units[i]);
    }
    records.push({
      kind: "aggregate",
      licenseId: g.license_id,
      datasetId: g.dataset_id,
      events: String(g.keys.length),
      units: sum.toString(),
    });
  }
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
