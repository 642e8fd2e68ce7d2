/**
 * The usage an epoch bills, read in one pass over usage_events: the settlement's per-use units and revenue-share
 * revenue (offchain/epochs/close.ts `settlementInput`), its count of late events, and the usage commitment's stored
 * event leaves and per-(license, dataset) aggregates (offchain/epochs/usage-commitment.ts) all come from the same
 * grouped scan of the window, instead of five scans of the same (up to a million) rows.
 */
import { Prisma } from "../db/generated/client";
import type { PrismaClient } from "../db/client";

type Tx = Pick<PrismaClient, "$queryRaw" | "$executeRaw">;

/**
 * The billed-window rule, the one definition every query of the close, the commitment and the audit export uses (over
 * `usage_events u`): usage is billed by occurred_at, late usage (received after its epoch closed) by billable_at, the
 * start of the epoch that was open at receipt, so each event lies in exactly one window (offchain/api/services/usage.ts);
 * rows voided by a correction (offchain/api/services/usage-corrections.ts) are never billed.
 */
export function billedWindow(start: Date, end: Date): Prisma.Sql {
  return Prisma.sql`u.voided_at IS NULL
    AND ((u.billable_at IS NULL AND u.occurred_at >= ${start} AND u.occurred_at < ${end})
      OR (u.billable_at >= ${start} AND u.billable_at < ${end}))`;
}

/** The license models whose usage is billed (and committed to): per-use units and revenue-share revenue. */
export const BILLED_MODELS = ["per_use", "revenue_share"] as const;

/** One (license, dataset, share period) of the window's usage; `model` null for a row whose license is unknown. */
export type BilledUsageGroup = {
  licenseId: string;
  datasetId: string;
  period: Date | null;
  model: string | null;
  /** Σ units (base units of revenue for revenue share), exact decimal text. */
  units: string;
  events: bigint;
  /** Events billed here although they occurred in an earlier, closed window (billable_at set). */
  late: number;
  /** Events with no stored commitment leaf (ingested before commitments moved to ingestion). */
  missing: number;
  /** The stored 32-byte leaves of the group's events, concatenated (empty unless asked for). */
  leaves: Buffer;
};

/**
 * The window's usage grouped by (license, dataset, share period), ordered by lower-cased license and dataset ids
 * (the commitment's record order), each group's model looked up after grouping (a few lookups, not a join of every
 * event; a scalar subquery, not a join: with stale statistics the planner hashed the grouped rows, leaves included, for
 * a join and spilled them to disk — 4.2 s against 3.0 s on PostgreSQL 15 at 1M events, loaded machine).
 *
 * Hashed aggregation whatever the planner statistics say: when they are stale (the embedded PGlite has no autovacuum,
 * so after a bulk of ingestion they describe a near-empty table) the planner overestimates the groups and sorts every
 * billed row on two text keys instead — seconds at a million rows, more than the scan itself — or the close would have
 * to ANALYZE the table first (0.2–1.2 s at a million rows, every close that follows ingestion). The groups are few
 * (licenses × datasets × share changes of one window), so the hash table is small; only the sort switch is touched,
 * for this statement, and restored before anything else runs in the transaction. Call it inside a transaction: on the
 * bare client each statement runs in its own, so the switch would not reach the scan (still correct, planned by the
 * statistics).
 */
export async function scanBilledUsage(
  tx: Tx,
  start: Date,
  end: Date,
  opts: { period?: Prisma.Sql; leaves?: boolean } = {},
): Promise<BilledUsageGroup[]> {
  const period = opts.period ?? Prisma.sql`NULL::timestamp`;
  const leaves = opts.leaves
    ? Prisma.sql`encode(string_agg(u.commitment_leaf, ''::bytea), 'hex')`
    : Prisma.sql`NULL::text`;
  const [{ sort }] = await tx.$queryRaw<{ sort: string }[]>`
      SELECT current_setting('enable_sort') AS sort, set_config('enable_sort', 'off', true)`;
  const rows = await tx.$queryRaw<
    {
      license_id: string;
      dataset_id: string;
      period: Date | null;
      model: string | null;
      units: string;
      events: string;
      late: number;
      missing: number;
      leaves: string | null;
    }[]
  >`
      WITH g AS (
        SELECT u.license_id, u.dataset_id, ${period} AS period, sum(u.units)::text AS units, count(*)::text AS events,
          count(*) FILTER (WHERE u.billable_at IS NOT NULL)::int AS late,
          count(*) FILTER (WHERE u.commitment_leaf IS NULL)::int AS missing, ${leaves} AS leaves
        FROM usage_events u
        WHERE ${billedWindow(start, end)}
        GROUP BY 1, 2, 3
      )
      SELECT g.*, (SELECT l.model::text FROM licenses l WHERE l.id = g.license_id) AS model FROM g
      ORDER BY lower(g.license_id), lower(g.dataset_id), g.period NULLS FIRST`;
  // Not in a finally: a failed statement aborts the transaction, whose rollback drops the local setting anyway.
  await tx.$queryRaw`SELECT set_config('enable_sort', ${sort}, true)`;
  return rows.map((r) => ({
    licenseId: r.license_id,
    datasetId: r.dataset_id,
    period: r.period,
    model: r.model,
    units: r.units,
    events: BigInt(r.events),
    late: r.late,
    missing: r.missing,
    leaves: r.leaves ? Buffer.from(r.leaves, "hex") : Buffer.alloc(0),
  }));
}

/** Whether a group's usage is billed and committed to (per-use or revenue-share license). */
export function isBilled(g: BilledUsageGroup): boolean {
  return (BILLED_MODELS as readonly (string | null)[]).includes(g.model);
}
