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
import { Prisma } from "../db/generated/client";
import {
  buildUsageTree,
  usageEventCommitments,
  usageEventRef,
  type UsageAggregateRecord,
  type UsageRecord,
  type UsageTree,
} from "../merkle/usage-commitment";
import { BILLED_MODELS, billedWindow, isBilled, scanBilledUsage, type BilledUsageGroup } from "./billed-usage";
import { EpochUsageCommitmentMismatchError } from "./errors";

type Tx = Pick<PrismaClient, "$queryRaw" | "$executeRaw">;

/**
 * Fills in the commitment of billed events of the window stored before commitments moved to ingestion (none on a
 * database created since): the same function ingestion uses, so their leaves are what ingestion would have stored.
 * Runs only when the window's scan counted such events (`missing`), so once none are left it costs nothing.
 */
async function backfillLeaves(tx: Tx, start: Date, end: Date): Promise<number> {
  const rows = await tx.$queryRaw<
    { buyer_id: string; license_id: string; dataset_id: string; idempotency_key: string; units: string }[]
  >`
      SELECT u.buyer_id::text, lower(u.license_id) AS license_id, lower(u.dataset_id) AS dataset_id,
        u.idempotency_key, u.units::text AS units
      FROM usage_events u JOIN licenses l ON l.id = u.license_id
      WHERE u.commitment_leaf IS NULL AND l.model::text IN (${Prisma.join(BILLED_MODELS)}) AND ${billedWindow(start, end)}`;
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
 * The per-(license, dataset) aggregates of the window's billed groups (which `scanBilledUsage` returns ordered by the
 * lower-cased ids, a (license, dataset) split over share periods in adjacent groups) and their events' leaves.
 */
function aggregateBilled(groups: readonly BilledUsageGroup[]): {
  eventLeaves: Uint8Array;
  aggregates: UsageAggregateRecord[];
} {
  const aggregates: UsageAggregateRecord[] = [];
  const leaves: Buffer[] = [];
  let last: { licenseId: string; datasetId: string; events: bigint; units: bigint } | null = null;
  const flush = () => {
    if (last)
      aggregates.push({
        kind: "aggregate",
        licenseId: last.licenseId,
        datasetId: last.datasetId,
        events: last.events.toString(),
        units: last.units.toString(),
      });
  };
  for (const g of groups) {
    if (!isBilled(g)) continue;
    leaves.push(g.leaves);
    const licenseId = g.licenseId.toLowerCase();
    const datasetId = g.datasetId.toLowerCase();
    if (last && last.licenseId === licenseId && last.datasetId === datasetId) {
      last.events += g.events;
      last.units += BigInt(g.units);
      continue;
    }
    flush();
    last = { licenseId, datasetId, events: g.events, units: BigInt(g.units) };
  }
  flush();
  const all = Buffer.concat(leaves);
  return { eventLeaves: new Uint8Array(all.buffer, all.byteOffset, all.length), aggregates };
}

/**
 * The window's billed usage as the tree needs it: the stored event leaves (per group, one hex string of its 32-byte
 * leaves, not a million row objects) and the per-(license, dataset) aggregates (event count, unit sum). `groups`: the
 * close's own scan (`settlementInput`'s `billed`, read with leaves), so that the close reads the events once.
 */
export async function billedUsageLeaves(
  tx: Tx,
  start: Date,
  end: Date,
  groups?: readonly BilledUsageGroup[],
): Promise<{ eventLeaves: Uint8Array; aggregates: UsageAggregateRecord[] }> {
  let scanned = groups ?? (await scanBilledUsage(tx, start, end, { leaves: true }));
  if (scanned.some((g) => isBilled(g) && g.missing > 0)) {
    await backfillLeaves(tx, start, end);
    scanned = await scanBilledUsage(tx, start, end, { leaves: true });
  }
  return aggregateBilled(scanned);
}

/**
 * The billed usage of window [start, end) as full commitment records with their salts (the audit export): per
 * (license, dataset), ascending, its events (stored salt) and then its aggregate (salt null: derived from the secret).
 * The aggregates come from the grouped scan (no leaves read); the events from one ordered read of their salts.
 */
export async function billedUsageRecords(
  tx: Tx,
  start: Date,
  end: Date,
): Promise<{ records: UsageRecord[]; salts: (Hex | null)[] }> {
  const { aggregates } = aggregateBilled(await scanBilledUsage(tx, start, end));
  const rows = await tx.$queryRaw<
    { license_id: string; dataset_id: string; idempotency_key: string; units: string; salt: string }[]
  >`
      SELECT lower(u.license_id) AS license_id, lower(u.dataset_id) AS dataset_id, u.idempotency_key,
        u.units::text AS units, encode(u.commitment_salt, 'hex') AS salt
      FROM usage_events u JOIN licenses l ON l.id = u.license_id
      WHERE l.model::text IN (${Prisma.join(BILLED_MODELS)}) AND ${billedWindow(start, end)}
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
  groups?: readonly BilledUsageGroup[],
): Promise<{ commitment: UsageTree; secret: Hex }> {
  const secret = `0x${randomBytes(32).toString("hex")}` as Hex;
  const { eventLeaves, aggregates } = await billedUsageLeaves(tx, start, end, groups);
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
  prisma: Pick<PrismaClient, "$transaction">,
  epoch: { id: number; startsAt: Date; endsAt: Date; usageRoot: string; usageSecret: string },
): Promise<EpochUsage> {
  const key = `${epoch.id}:${epoch.usageRoot}:${epoch.usageSecret}`;
  let entry = cache.get(key);
  if (entry) cache.delete(key);
  else
    entry = (async () => {
      const secret = epoch.usageSecret as Hex;
      // In a transaction of its own: the scan's plan setting is transaction-local (offchain/epochs/billed-usage.ts).
      const { eventLeaves, aggregates } = await prisma.$transaction(
        (tx) => billedUsageLeaves(tx, epoch.startsAt, epoch.endsAt),
        { timeout: 600_000, maxWait: 60_000 },
      );
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
