/**
 * Closing an epoch: the database rows become the settlement engine's input (offchain/settlement), its
 * allocations become the Merkle distribution (offchain/merkle), whose file goes to the content-addressed store
 * (offchain/files), and the allocations, totals and carried state are stored in one transaction. The epoch is then
 * `computed`: ready to publish on-chain.
 *
 * This module is the only place that maps rows to the engine's types. It knows nothing of HTTP: the operator route
 * (offchain/api), the scheduler's close step (./close-due.ts) and bench:epoch call it.
 */
import type { Address, Hex } from "viem";
import {
  allocate,
  EXACT_SCALE,
  SettlementInputSchema,
  type LicenseModel,
  type SettlementInputRaw,
  type SettlementResult,
} from "../settlement";
import { buildDistribution, writeDistributionFile } from "../merkle";
import { distributionStoreOf, type ContentStore } from "../files";
import type { Common } from "../common";
import type { PrismaClient } from "../db/client";
import { Prisma } from "../db/generated/client";
import { audit } from "../db/audit-log";
import { bulkCopyOf } from "../db/bulk-copy";
import { jsonText, toJson } from "../db/json";
import { EpochEndsInFutureError, EpochWindowEmptyError } from "./errors";
import { EPOCH_CLOSE_LOCK } from "./lock";
import { lastStandingEpoch } from "./standing-epoch";
import { scanBilledUsage, type BilledUsageGroup } from "./billed-usage";
import { commitEpochUsage } from "./usage-commitment";

/**
 * What the stage needs: the database and the service's `common` (config: chain id, splitter, fee, treasury, the file
 * store's folder); `store` overrides the configured file store.
 */
export type EpochsDeps = { prisma: PrismaClient; common: Common; store?: ContentStore };

type Tx = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];
const secs = (d: Date) => Math.floor(d.getTime() / 1000);
/** A share change's stored list ([{ account, bps }], validated when it was written). */
const sharesOf = (json: Prisma.JsonValue) => json as { account: string; bps: number }[];

/** A license as the close reads it: one row per license, amounts as decimal text (exact). */
type LicenseRow = {
  id: string;
  model: "one_time" | "subscription" | "per_use" | "revenue_share";
  token: string;
  scope: string;
  price: string | null;
  period_seconds: number | null;
  rate_per_unit: string | null;
  revenue_bps: number | null;
  exclusive: boolean;
  starts_at: Date;
  ends_at: Date;
  cancelled_at: Date | null;
  payer: string;
};

/**
 * Licenses whose previous state still holds something a later epoch settles: escrow not yet recognized or refunded,
 * amounts owed or credited. A license whose state is closed out (and whose term is over) is carried unchanged by
 * the engine when left out of the input (validate.ts: carriedStates), so the close does not read it.
 */
function openLicenseIds(previous: { licenses?: unknown[]; held?: unknown[] } | null): string[] {
  const ids: string[] = [];
  for (const raw of (previous?.licenses ?? []) as {
    licenseId: string;
    deposited: string;
    recognized: string;
    refunded?: string;
    owed?: unknown[];
    credit?: unknown[];
  }[]) {
    const escrow = BigInt(raw.deposited) - BigInt(raw.recognized) - BigInt(raw.refunded ?? "0");
    if (escrow !== 0n || (raw.owed?.length ?? 0) > 0 || (raw.credit?.length ?? 0) > 0) ids.push(raw.licenseId);
  }
  // A held deposit waits for its license: once the license exists it must be in the input to take it.
  for (const h of (previous?.held ?? []) as { licenseId: string }[]) ids.push(h.licenseId);
  return ids;
}

/**
 * The licenses epoch [start, end) can touch, not every license ever taken (the close scales with the epoch, not
 * with history): those whose term (plus the late-usage grace, after which their escrow is refunded) overlaps the
 * window, and any named in `ids` (new deposits, usage billed in the window, open carried state).
 */
function loadLicenses(tx: Tx, start: Date, end: Date, graceSeconds: number, ids: string[]) {
  return tx.$queryRaw<LicenseRow[]>`
      SELECT l.id, l.model::text AS model, l.token, l.scope::text AS scope, l.price::text AS price, l.period_seconds,
        l.rate_per_unit::text AS rate_per_unit, l.revenue_bps, l.exclusive, l.starts_at, l.ends_at, l.cancelled_at,
        b.address AS payer
      FROM licenses l JOIN buyers b ON b.id = l.buyer_id
      WHERE (l.starts_at < ${end} AND l.ends_at >= ${new Date(start.getTime() - graceSeconds * 1000)})
        OR l.id = ANY(${ids}::text[])
      ORDER BY l.id`;
}

function modelOf(l: LicenseRow): LicenseModel | SettlementInputRaw["licenses"][number]["model"] {
  switch (l.model) {
    case "one_time":
      return { kind: "oneTime", fee: l.price! };
    case "subscription":
      // The term is the license's [startsAt, endsAt) (passed as `endsAt`): a last period shorter than the others
      // costs its share of the fee (45 days at 30-day periods: 1.5 fees), so no deposit is stranded.
      return {
        kind: "subscription",
        feePerPeriod: l.price!,
        periodSeconds: l.period_seconds!,
        start: secs(l.starts_at),
      };
    case "per_use":
      return { kind: "perUse", ratePerUnit: l.rate_per_unit! };
    case "revenue_share":
      return { kind: "revenueShare", bps: l.revenue_bps! };
  }
}

/**
 * Reads everything the engine needs for epoch `epoch` over [start, end), chaining from the state of epoch `baseId`
 * (the last epoch that was not vetoed). Deposits and usage credits settled by a vetoed epoch after it return to the
 * pool. Usage rows voided by a correction (offchain/api/services/usage-corrections.ts) are skipped.
 * Usage is billed by occurred_at, late usage (received after its epoch closed) by billable_at, the start of the epoch
 * that was open at receipt: each event lies in exactly one window (see offchain/api/services/usage.ts).
 */
export async function settlementInput(
  tx: Tx,
  deps: EpochsDeps,
  epoch: number,
  start: Date,
  end: Date,
  baseId = epoch - 1,
  opts: { leaves?: boolean } = {},
): Promise<{
  raw: SettlementInputRaw;
  depositIds: string[];
  creditKeys: { buyerId: string; correctionKey: string }[];
  lateEvents: number;
  /** The window's usage groups (with their stored event leaves when `opts.leaves`), for the usage commitment. */
  billed: BilledUsageGroup[];
}> {
  const { config } = deps.common;
  // Sequential on purpose: inside a transaction every query shares one connection (pg 9 forbids overlapping ones).
  // Share changes inside the window (few, whatever the history): they split it, and usage is billed by event time,
  // so each usage row falls in the share period of the latest change at or before it (none: the shares at the
  // window's start). Late rows are billed at their billable_at.
  const inWindow = await tx.shareChange.findMany({
    where: { effectiveAt: { gt: start, lt: end } },
    orderBy: { effectiveAt: "asc" },
    select: { datasetId: true, effectiveAt: true, shares: true },
  });
  const period = inWindow.length
    ? Prisma.sql`(SELECT max(c.at) FROM unnest(${inWindow.map((c) => c.datasetId)}::text[], ${inWindow.map((c) => c.effectiveAt.toISOString().slice(0, 23))}::timestamp[]) AS c(d, at)
        WHERE c.d = u.dataset_id AND c.at <= coalesce(u.billable_at, u.occurred_at))`
    : Prisma.sql`NULL::timestamp`;
  const deposits = await tx.deposit.findMany({
    where: { state: "confirmed", OR: [{ settledEpoch: null }, { settledEpoch: { gt: baseId } }] },
  });
  // One grouped scan of the window's usage feeds the per-use units, the revenue-share revenue (per dataset: the
  // dataset a report names is charged on that dataset of a bundle, not re-split by weight), the late count and, with
  // `leaves`, the usage commitment (offchain/epochs/billed-usage.ts).
  const billed = await scanBilledUsage(tx, start, end, { period, leaves: opts.leaves });
  const usage = billed
    .filter((g) => g.model === "per_use")
    .map((g) => ({ license_id: g.licenseId, dataset_id: g.datasetId, period: g.period, units: g.units }));
  const revenue = billed
    .filter((g) => g.model === "revenue_share")
    .map((g) => ({ license_id: g.licenseId, dataset_id: g.datasetId, period: g.period, revenue: g.units }));
  const late = billed.reduce((n, g) => n + g.late, 0);
  // Corrections of already-billed usage: credited against the license's later charges. Like deposits, those a
  // vetoed epoch settled return to the pool.
  const credits = await tx.usageCorrection.findMany({
    where: { credit: { gt: 0 }, OR: [{ settledEpoch: null }, { settledEpoch: { gt: baseId } }] },
    select: { buyerId: true, correctionKey: true, licenseId: true, datasetId: true, credit: true },
    orderBy: [{ licenseId: "asc" }, { datasetId: "asc" }, { correctionKey: "asc" }],
  });
  const previousState = await carriedState(tx, baseId);
  const touched = [
    ...new Set([
      ...deposits.map((d) => d.licenseId),
      ...usage.map((u) => u.license_id),
      ...revenue.map((r) => r.license_id),
      ...credits.map((c) => c.licenseId),
      ...openLicenseIds(previousState as Parameters<typeof openLicenseIds>[0]),
    ]),
  ];
  const licenses = await loadLicenses(tx, start, end, config.lifecycle.lateUsageGraceSeconds, touched);
  const licenseIds = licenses.map((l) => l.id);
  const bundles = new Map<string, { datasetId: string; weight: number }[]>();
  for (const r of await tx.$queryRaw<{ license_id: string; dataset_id: string; weight_bps: number }[]>`
      SELECT license_id, dataset_id, weight_bps FROM license_datasets WHERE license_id = ANY(${licenseIds}::text[])
      ORDER BY license_id, dataset_id`) {
    const list = bundles.get(r.license_id) ?? [];
    list.push({ datasetId: r.dataset_id, weight: r.weight_bps });
    bundles.set(r.license_id, list);
  }
  // The shares of the licensed datasets only, one row per dataset: at a million contributors, one row (and one
  // driver value conversion) per share made this read several times slower. Accounts are 0x-hex and bps integers,
  // so "account:bps" joined by "," is unambiguous.
  const datasetIds = [...new Set([...bundles.values()].flat().map((d) => d.datasetId))].sort();
  const startShares = new Map<string, { account: string; bps: number }[]>();
  for (const d of await tx.$queryRaw<{ dataset_id: string; shares: string }[]>`
      SELECT dataset_id, string_agg(account || ':' || bps::text, ',' ORDER BY account) AS shares
      FROM contributor_shares WHERE dataset_id = ANY(${datasetIds}::text[])
      GROUP BY dataset_id`)
    startShares.set(
      d.dataset_id,
      d.shares.split(",").map((s) => {
        const at = s.lastIndexOf(":");
        return { account: s.slice(0, at), bps: Number(s.slice(at + 1)) };
      }),
    );
  // A share change effective at or before the window's start replaces the listed shares: the latest one is in force.
  for (const c of await tx.$queryRaw<{ dataset_id: string; shares: Prisma.JsonValue }[]>`
      SELECT DISTINCT ON (dataset_id) dataset_id, shares FROM share_changes
      WHERE dataset_id = ANY(${datasetIds}::text[]) AND effective_at <= ${start}
      ORDER BY dataset_id, effective_at DESC`)
    startShares.set(
      c.dataset_id,
      sharesOf(c.shares).map((x) => ({ account: x.account, bps: x.bps })),
    );
  const raw: SettlementInputRaw = {
    window: { epoch, start: secs(start), end: secs(end) },
    platformFee: { bps: config.platformFeeBps, treasury: config.treasuryAddress },
    datasets: datasetIds.flatMap((id) => {
      const atStart = startShares.get(id) ?? [];
      if (atStart.length === 0) return [];
      const changes = inWindow
        .filter((c) => c.datasetId === id)
        .map((c) => ({ at: secs(c.effectiveAt), contributors: sharesOf(c.shares) }));
      return [{ id, contributors: atStart, changes }];
    }),
    licenses: licenses.map((l) => {
      const datasets = bundles.get(l.id) ?? [];
      return {
        id: l.id,
        token: l.token,
        datasets,
        model: modelOf(l),
        payer: l.payer,
        endsAt: secs(l.ends_at),
        ...(l.cancelled_at ? { cancelledAt: secs(l.cancelled_at) } : {}),
        exclusivity: l.exclusive
          ? datasets.map((d) => ({
              datasetId: d.datasetId,
              scope: l.scope,
              start: secs(l.starts_at),
              end: secs(l.ends_at),
            }))
          : [],
      };
    }),
    deposits: deposits.map((d) => ({
      licenseId: d.licenseId,
      token: d.token,
      amount: d.amount.toFixed(),
      payer: d.payer,
      at: secs(d.createdAt),
    })),
    usage: usage.map((u) => ({
      licenseId: u.license_id,
      datasetId: u.dataset_id,
      epoch,
      units: u.units,
      ...(u.period ? { at: secs(u.period) } : {}),
    })),
    revenue: revenue.map((r) => ({
      licenseId: r.license_id,
      datasetId: r.dataset_id,
      epoch,
      revenue: r.revenue,
      ...(r.period ? { at: secs(r.period) } : {}),
    })),
    credits: credits.map((c) => ({
      licenseId: c.licenseId,
      datasetId: c.datasetId,
      amount: (c.credit as Prisma.Decimal).toFixed(),
    })),
    splitter: config.splitterAddress,
    lifecycle: config.lifecycle,
    previous: previousState,
  };
  return {
    raw,
    depositIds: deposits.map((d) => d.id),
    creditKeys: credits.map((c) => ({ buyerId: c.buyerId, correctionKey: c.correctionKey })),
    lateEvents: late,
    billed,
  };
}

/**
 * The carried state of epoch `baseId` (null for none), as the engine wrote it: its `cumulative` list is not in the
 * state column but rebuilt from the epoch's allocations (one per (account, token) ever paid, with `exact`; see the
 * write in closeEpoch and the migration allocation_exact_state_cumulative). Read as one text, a line per allocation:
 * a million rows through the client's row decoding would cost more than the split. Ordered by bytes, as the engine
 * orders addresses (lowercase hex, so `COLLATE "C"` matches JavaScript's `<`).
 */
export async function carriedState(tx: Tx, baseId: number): Promise<SettlementInputRaw["previous"]> {
  const previous = await tx.epoch.findUnique({ where: { id: baseId }, select: { state: true } });
  if (!previous) return null;
  const [{ lines }] = await tx.$queryRaw<{ lines: string | null }[]>`
      SELECT string_agg(account || ' ' || token || ' ' || cumulative::text || ' ' || coalesce(exact::text, ''), E'\n'
        ORDER BY account COLLATE "C", token COLLATE "C") AS lines
      FROM allocations WHERE epoch_id = ${baseId}`;
  const cumulative: { account: string; token: string; amount: string; exact?: string }[] = [];
  if (lines)
    for (const line of lines.split("\n")) {
      const [account, token, amount, exact] = line.split(" ");
      cumulative.push(exact ? { account, token, amount, exact } : { account, token, amount });
    }
  return { ...(previous.state as object), cumulative } as SettlementInputRaw["previous"];
}

/** A stored, `computed` epoch. */
export type ClosedEpoch = {
  status: "closed";
  epoch: number;
  root: Hex;
  contentHash: Hex;
  /** Root of the epoch's usage-inclusion commitment (also in the distribution file's header). */
  usageRoot: Hex;
  leafCount: number;
  result: SettlementResult;
};

/**
 * Nothing recognized yet (e.g. only a partial deposit towards a one-time fee): an epoch without leaves has no root,
 * so nothing is stored and the same window is offered again at the next close.
 */
export type NothingToSettle = { status: "empty"; epoch: number; reason: string };

export type CloseEpochResult = ClosedEpoch | NothingToSettle;

/** Where an epoch close spends its time (bench:epoch listens; the route does not). */
export type ClosePhase = "dbRead" | "settlement" | "usageCommitment" | "tree" | "file" | "dbWrite";

/**
 * Closes the next epoch at `input.endsAt` (default now, truncated to the second).
 * @throws EpochEndsInFutureError, EpochWindowEmptyError; SettlementError when the engine refuses the records.
 */
export async function closeEpoch(
  deps: EpochsDeps,
  operator: string,
  input: { endsAt?: string },
  onPhase: (phase: ClosePhase, ms: number) => void = () => {},
): Promise<CloseEpochResult> {
  let mark = performance.now();
  const lap = (phase: ClosePhase) => {
    const now = performance.now();
    onPhase(phase, now - mark);
    mark = now;
  };
  const end = new Date(Math.floor((input.endsAt ? Date.parse(input.endsAt) : Date.now()) / 1000) * 1000);
  if (end.getTime() > Date.now()) throw new EpochEndsInFutureError(end);
  return deps.prisma.$transaction(
    async (tx): Promise<CloseEpochResult> => {
      // One closer at a time, across processes sharing the database.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${EPOCH_CLOSE_LOCK}::bigint)`;
      const last = await tx.epoch.findFirst({ orderBy: { id: "desc" }, select: { id: true } });
      // A vetoed epoch is recomputed: the window starts where the last epoch that stood ended, from its state.
      const base = await lastStandingEpoch(tx);
      const epoch = (last?.id ?? 0) + 1;
      const start = base?.endsAt ?? new Date(0);
      if (end <= start) throw new EpochWindowEmptyError(epoch, start, end);
      const { raw, depositIds, creditKeys, lateEvents, billed } = await settlementInput(
        tx,
        deps,
        epoch,
        start,
        end,
        base?.id ?? 0,
        { leaves: true },
      );
      lap("dbRead");
      const result = allocate(SettlementInputSchema.parse(raw));
      lap("settlement");
      if (result.allocations.length === 0)
        // Nothing has been written in this transaction yet, so returning commits nothing.
        return {
          status: "empty",
          epoch,
          reason: `nothing has been recognized yet: epoch ${epoch} would have no leaves`,
        };
      const usage = await commitEpochUsage(tx, epoch, start, end, billed);
      lap("usageCommitment");
      const { config } = deps.common;
      const distribution = await buildDistribution(
        { chainId: config.chainId, contract: config.splitterAddress as Address, epoch: BigInt(epoch) },
        result.allocations.map((a) => ({ account: a.account, token: a.token, cumulativeAmount: a.cumulative })),
      );
      lap("tree");
      // Streamed into the content-addressed store (hashed on a worker thread as it is written): the file never sits in
      // one buffer and never goes through the database (PGlite encodes bytea byte by byte). It is durable before the
      // row naming it commits; a close that then fails leaves an unreferenced file, never a row without its file.
      const stored = await (deps.store ?? distributionStoreOf(deps.common)).putWith((sink) =>
        writeDistributionFile(distribution, sink, { usageRoot: usage.commitment.root }),
      );
      const contentHash = stored.contentHash;
      lap("file");
      await tx.epoch.create({
        data: {
          id: epoch,
          startsAt: start,
          endsAt: end,
          status: "computed",
          root: distribution.root,
          contentHash,
          totals: toJson(result.totals),
          leafCount: distribution.leafCount,
          report: toJson({ ...result.report, usage: { lateEvents } }),
          state: {}, // written below as one text

          distributionSize: BigInt(stored.size),
          usageRoot: usage.commitment.root,
          usageSecret: usage.secret,
          closedBy: operator,
        },
        select: { id: true }, // not the row back: it holds the carried state
      });
      // The carried state without its cumulative list, bound as one jsonb text (through Prisma's Json conversion it
      // took twice as long). The list (one entry per (account, token) ever paid) is this epoch's allocations plus
      // each one's `exact`, written with them below: at 1,000,000 accounts it was a 170 MB parameter that cost ~20 s
      // on PGlite as jsonb and as much as a plain text column (27 s, load ~10: the cost is the parameter itself).
      const { cumulative, ...rest } = result.state;
      await tx.$executeRaw`UPDATE epochs SET state = ${jsonText(rest)}::jsonb WHERE id = ${epoch}`;
      // Same order as the allocations (result.ts); an entry without `exact` means amount × scale to the engine.
      const exactAt = (i: number) => cumulative[i].exact ?? cumulative[i].amount * EXACT_SCALE;
      // COPY inside this transaction (offchain/db/bulk-copy.ts), streamed in chunks: no statement parameters.
      const allocations = result.allocations;
      const columns = ["epoch_id", "account", "token", "amount", "cumulative", "exact", "leaf_index"];
      await bulkCopyOf(deps.prisma)(tx, "allocations", columns, {
        *[Symbol.iterator]() {
          for (let i = 0; i < allocations.length; i++) {
            const a = allocations[i];
            yield [
              epoch,
              a.account,
              a.token,
              a.amount,
              a.cumulative,
              exactAt(i),
              distribution.indexOf(a.account, a.token),
            ];
          }
        },
      });
      if (depositIds.length)
        await tx.deposit.updateMany({ where: { id: { in: depositIds } }, data: { settledEpoch: epoch } });
      if (creditKeys.length)
        await tx.usageCorrection.updateMany({
          where: { OR: creditKeys.map((k) => ({ buyerId: k.buyerId, correctionKey: k.correctionKey })) },
          data: { settledEpoch: epoch },
        });
      await audit(tx, {
        actor: operator,
        action: "epoch.closed",
        target: `epoch:${epoch}`,
        details: { root: distribution.root, contentHash, leafCount: distribution.leafCount, end: end.toISOString() },
      });
      lap("dbWrite");
      return {
        status: "closed",
        epoch,
        root: distribution.root,
        contentHash,
        usageRoot: usage.commitment.root,
        leafCount: distribution.leafCount,
        result,
      };
    },
    { timeout: 600_000, maxWait: 60_000 },
  );
}
