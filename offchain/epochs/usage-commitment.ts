/**
 * The epoch close's usage-inclusion commitment: every usage event the close bills (per-use units and revenue-share
 * revenue, by the same window rule as `settlementInput`) is committed by the leaf stored with it at ingestion
 * (offchain/api/services/usage.ts, `usageEventCommitments`), and each (license, dataset) by an `aggregate` record;
 * offchain/merkle/usage-commitment.ts builds the tree under a fresh 32-byte epoch secret (aggregate salts, padding).
 * The root goes into the distribution file's header; the secret is stored in the epoch's row (private) so that
 * receipts can be served later from the stored salts and leaves.
 *
 * The window rule makes the record set of a closed epoch stable: usage received after the close is billed at the
 * open epoch (`billable_at`), never inside a closed window.
 */
import { randomBytes } from "node:crypto";
import type { Hex } from "viem";
import type { PrismaClient } from "../db/client";
import {
  buildUsageTree,
  usageEventCommitments,
  usageEventRef,
  type UsageAggregateRecord,
  type UsageRecord,
  type UsageTree,
} from "../merkle/usage-commitment";
import { EpochUsageCommitmentMismatchError } from "./errors";

type Tx = Pick<PrismaClient, "$queryRaw" | "$executeRaw">;

/**
 * Fills in the commitment of billed events of the window stored before commitments moved to ingestion (none on a
 * database created since): the same function ingestion uses, so their leaves are what ingestion would have stored.
 */
async function backfillLeaves(tx: Tx, start: Date, end: Date): Promise<number> {
  const rows = await tx.$queryRaw<
    { buyer_id: string; license_id: string; dataset_id: string; idempotency_key: string; units: string }[]
  >`
      SELECT u.buyer_id::text, lower(u.license_id) AS license_id, lower(u.dataset_id) AS dataset_id,
        u.idempotency_key, u.units::text AS units
      FROM usage_events u JOIN licenses l ON l.id = u.license_id
      WHERE u.commitment_leaf IS NULL AND u.voided_at IS NULL AND l.model IN ('per_use', 'revenue_share')
        AND ((u.billable_at IS NULL AND u.occurred_at >= ${start} AND u.occurred_at < ${end})
          OR (u.billable_at >= ${start} AND u.billable_at < ${end}))`;
  if (rows.length === 0) return 0;
  const { salts, leaves } = await usageEventCommitments(
    rows.map((r) => ({
      licenseId: r.license_id,
      datasetId: r.dataset_id,
      idempotencyKey: r.idempotency_key,
      units: r.units,
    })),
  );
  const hex = (b: Uint8Array, i: number) => Buffer.from(b.subarray(32 * i, 32 * i + 32)).toString("hex");
  await tx.$executeRaw`
      UPDATE usage_events u SET commitment_salt = decode(t.s, 'hex'), commitment_leaf = decode(t.l, 'hex')
      FROM unnest(${rows.map((r) => r.buyer_id)}::uuid[], ${rows.map((r) => r.idempotency_key)}::text[],
        ${rows.map((_, i) => hex(salts, i))}::text[], ${rows.map((_, i) => hex(leaves, i))}::text[]) AS t(b, k, s, l)
      WHERE u.buyer_id = t.b AND u.idempotency_key = t.k`;
  return rows.length;
}

/**
 * Refreshes usage_events' planner statistics when a sizeable share of its rows changed since the last ANALYZE (the
 * embedded PGlite has no autovacuum, so after a bulk of ingestion they are those of a near-empty table). Without it
 * the aggregate query below is planned as a sort of every billed row on two text keys: measured on the embedded
 * database at 1M rows, ≈ 2 s (idle machine) to 13 s (loaded) for that plan, against 0.2–1.2 s for the ANALYZE (narrow
 * to usage_events-wide rows) and ≈ 0.5 s for the hashed aggregate once analyzed. On a server with autovacuum the
 * statistics are usually fresh and this does nothing. (reltuples < 0: never analyzed.)
 */
async function refreshStatistics(tx: Tx): Promise<void> {
  const [stale] = await tx.$queryRaw<{ stale: boolean }[]>`
      SELECT c.reltuples < 0 OR coalesce(s.n_mod_since_analyze, 0) > greatest(1000, c.reltuples / 10) AS stale
      FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
      WHERE c.oid = 'usage_events'::regclass`;
  if (stale?.stale) await tx.$executeRaw`ANALYZE usage_events`;
}

/**
 * The window's billed usage as the tree needs it: the stored event leaves (one lean query: a single hex string of
 * all 32-byte leaves, not a million row objects) and the per-(license, dataset) aggregates (event count, unit sum).
 * Billed licenses are read first (a few rows) so that the scans filter on their ids instead of joining.
 */
export async function billedUsageLeaves(
  tx: Tx,
  start: Date,
  end: Date,
): Promise<{ eventLeaves: Uint8Array; aggregates: UsageAggregateRecord[] }> {
  const licenseIds = (
    await tx.$queryRaw<{ id: string }[]>`SELECT id FROM licenses WHERE model IN ('per_use', 'revenue_share')`
  ).map((l) => l.id);
  await refreshStatistics(tx);
  const leavesOf = () => tx.$queryRaw<{ missing: number; leaves: string | null }[]>`
      SELECT count(*) FILTER (WHERE u.commitment_leaf IS NULL)::int AS missing,
        encode(string_agg(u.commitment_leaf, ''::bytea), 'hex') AS leaves
      FROM usage_events u
      WHERE u.license_id = ANY(${licenseIds}::text[]) AND u.voided_at IS NULL
        AND ((u.billable_at IS NULL AND u.occurred_at >= ${start} AND u.occurred_at < ${end})
          OR (u.billable_at >= ${start} AND u.billable_at < ${end}))`;
  let [{ missing, leaves }] = await leavesOf();
  if (missing > 0) {
    await backfillLeaves(tx, start, end);
    [{ missing, leaves }] = await leavesOf();
  }
  const groups = await tx.$queryRaw<{ license_id: string; dataset_id: string; events: string; units: string }[]>`
      SELECT lower(u.license_id) AS license_id, lower(u.dataset_id) AS dataset_id,
        count(*)::text AS events, sum(u.units)::text AS units
      FROM usage_events u
      WHERE u.license_id = ANY(${licenseIds}::text[]) AND u.voided_at IS NULL
        AND ((u.billable_at IS NULL AND u.occurred_at >= ${start} AND u.occurred_at < ${end})
          OR (u.billable_at >= ${start} AND u.billable_at < ${end}))
      GROUP BY 1, 2 ORDER BY 1, 2`;
  return {
    eventLeaves: leaves ? new Uint8Array(Buffer.from(leaves, "hex")) : new Uint8Array(0),
    aggregates: groups.map((g) => ({
      kind: "aggregate",
      licenseId: g.license_id,
      datasetId: g.dataset_id,
      events: g.events,
      units: g.units,
    })),
  };
}

/**
 * The billed usage of window [start, end) as full commitment records with their salts (the audit export): per
 * (license, dataset), ascending, its events (stored salt) and then its aggregate (salt null: derived from the secret).
 */
export async function billedUsageRecords(
  tx: Tx,
  start: Date,
  end: Date,
): Promise<{ records: UsageRecord[]; salts: (Hex | null)[] }> {
  const { aggregates } = await billedUsageLeaves(tx, start, end);
  const rows = await tx.$queryRaw<
    { license_id: string; dataset_id: string; idempotency_key: string; units: string; salt: string }[]
  >`
      SELECT lower(u.license_id) AS license_id, lower(u.dataset_id) AS dataset_id, u.idempotency_key,
        u.units::text AS units, encode(u.commitment_salt, 'hex') AS salt
      FROM usage_events u JOIN licenses l ON l.id = u.license_id
      WHERE u.voided_at IS NULL AND l.model IN ('per_use', 'revenue_share')
        AND ((u.billable_at IS NULL AND u.occurred_at >= ${start} AND u.occurred_at < ${end})
          OR (u.billable_at >= ${start} AND u.billable_at < ${end}))
      ORDER BY 1, 2, u.buyer_id, u.idempotency_key`;
  const records: UsageRecord[] = [];
  const salts: (Hex | null)[] = [];
  let at = 0;
  for (const a of aggregates) {
    for (; at < rows.length && rows[at].license_id === a.licenseId && rows[at].dataset_id === a.datasetId; at++) {
      const r = rows[at];
      records.push({
        kind: "event",
        licenseId: r.license_id,
        datasetId: r.dataset_id,
        eventRef: usageEventRef(r.license_id, r.idempotency_key),
        units: r.units,
      });
      salts.push(`0x${r.salt}`);
    }
    records.push(a);
    salts.push(null);
  }
  return { records, salts };
}

/** Commits to the window's billed usage under a fresh secret (the close stores both root and secret). */
export async function commitEpochUsage(
  tx: Tx,
  epoch: number,
  start: Date,
  end: Date,
): Promise<{ commitment: UsageTree; secret: Hex }> {
  const secret = `0x${randomBytes(32).toString("hex")}` as Hex;
  const { eventLeaves, aggregates } = await billedUsageLeaves(tx, start, end);
  return { commitment: await buildUsageTree({ epoch, secret, eventLeaves, aggregates }), secret };
}

export type EpochUsage = { tree: UsageTree; aggregates: UsageAggregateRecord[]; secret: Hex };

/**
 * Built trees of recent epochs, so that a receipt costs a lookup rather than a rebuild (≈ 1–2 s at 1M events). At
 * most USAGE_TREE_CACHE epochs (each ≈ 64 bytes per padded leaf, ≈ 70 MB at 1M events), least recently used out.
 */
const USAGE_TREE_CACHE = 2;
const cache = new Map<string, Promise<EpochUsage>>();

/**
 * A closed epoch's commitment, rebuilt from its stored leaves and secret (or from the cache), to serve receipts.
 * @throws EpochUsageCommitmentMismatchError when the rebuilt root is not the one the epoch published (its usage rows
 *   changed after the close): no receipt is issued against a root the chain does not anchor.
 */
export async function rebuildEpochUsage(
  tx: Tx,
  epoch: { id: number; startsAt: Date; endsAt: Date; usageRoot: string; usageSecret: string },
): Promise<EpochUsage> {
  const key = `${epoch.id}:${epoch.usageRoot}:${epoch.usageSecret}`;
  let entry = cache.get(key);
  if (entry) cache.delete(key);
  else
    entry = (async () => {
      const secret = epoch.usageSecret as Hex;
      const { eventLeaves, aggregates } = await billedUsageLeaves(tx, epoch.startsAt, epoch.endsAt);
      const tree = await buildUsageTree({ epoch: epoch.id, secret, eventLeaves, aggregates });
      if (tree.root !== epoch.usageRoot) throw new EpochUsageCommitmentMismatchError(epoch.id);
      return { tree, aggregates, secret };
    })();
  cache.set(key, entry);
  while (cache.size > USAGE_TREE_CACHE) cache.delete(cache.keys().next().value as string);
  try {
    return await entry;
  } catch (e) {
    cache.delete(key); // a failed rebuild is retried next time (the rows may be repaired)
    throw e;
  }
}
