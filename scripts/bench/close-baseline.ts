/**
 * Baseline for bench:scale: offchain/epochs/close.ts as it was before the close scaled with the epoch (commit
 * 84c1b69), kept verbatim but for import paths. It reads every license and dataset ever created (one row per share
 * through Prisma) and writes the carried state through Prisma's Json conversion.
 */
import type { Address, Hex } from "viem";
import {
  allocate,
  SettlementInputSchema,
  type LicenseModel,
  type SettlementInputRaw,
  type SettlementResult,
} from "../../offchain/settlement";
import { buildDistribution, writeDistributionFile } from "../../offchain/merkle";
import { distributionStoreOf, type ContentStore } from "../../offchain/files";
import type { Common } from "../../offchain/common";
import type { PrismaClient } from "../../offchain/db/client";
import { audit } from "../../offchain/db/audit-log";
import { toJson } from "../../offchain/db/json";
import { EpochEndsInFutureError, EpochWindowEmptyError } from "../../offchain/epochs/errors";
import { EPOCH_CLOSE_LOCK } from "../../offchain/epochs/lock";

/**
 * What the stage needs: the database and the service's `common` (config: chain id, splitter, fee, treasury, the file
 * store's folder); `store` overrides the configured file store.
 */
export type EpochsDeps = { prisma: PrismaClient; common: Common; store?: ContentStore };

type Tx = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];
const secs = (d: Date) => Math.floor(d.getTime() / 1000);

type LicenseRow = Awaited<ReturnType<typeof loadLicenses>>[number];

function loadLicenses(tx: Tx) {
  return tx.license.findMany({
    include: { datasets: true, buyer: { select: { address: true } } },
    orderBy: { id: "asc" },
  });
}

function modelOf(l: LicenseRow): LicenseModel | SettlementInputRaw["licenses"][number]["model"] {
  switch (l.model) {
    case "one_time":
      return { kind: "oneTime", fee: l.price!.toFixed() };
    case "subscription":
      // The term is the license's [startsAt, endsAt) (passed as `endsAt`): a last period shorter than the others
      // costs its share of the fee (45 days at 30-day periods: 1.5 fees), so no deposit is stranded.
      return {
        kind: "subscription",
        feePerPeriod: l.price!.toFixed(),
        periodSeconds: l.periodSeconds!,
        start: secs(l.startsAt),
      };
    case "per_use":
      return { kind: "perUse", ratePerUnit: l.ratePerUnit!.toFixed() };
    case "revenue_share":
      return { kind: "revenueShare", bps: l.revenueBps! };
  }
}

/**
 * Reads everything the engine needs for epoch `epoch` over [start, end), chaining from the state of epoch `baseId`
 * (the last epoch that was not vetoed). Deposits settled by a vetoed epoch after it return to the pool.
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
): Promise<{ raw: SettlementInputRaw; depositIds: string[]; lateEvents: number }> {
  const { config } = deps.common;
  // Sequential on purpose: inside a transaction every query shares one connection (pg 9 forbids overlapping ones).
  const licenses = await loadLicenses(tx);
  const datasets = await tx.dataset.findMany({ include: { shares: true }, orderBy: { id: "asc" } });
  const deposits = await tx.deposit.findMany({
    where: { state: "confirmed", OR: [{ settledEpoch: null }, { settledEpoch: { gt: baseId } }] },
  });
  const usage = await tx.$queryRaw<{ license_id: string; dataset_id: string; units: string }[]>`
      SELECT u.license_id, u.dataset_id, sum(u.units)::text AS units FROM usage_events u
      JOIN licenses l ON l.id = u.license_id
      WHERE l.model = 'per_use' AND ((u.billable_at IS NULL AND u.occurred_at >= ${start} AND u.occurred_at < ${end})
        OR (u.billable_at >= ${start} AND u.billable_at < ${end}))
      GROUP BY u.license_id, u.dataset_id`;
  const revenue = await tx.$queryRaw<{ license_id: string; revenue: string }[]>`
      SELECT u.license_id, sum(u.units)::text AS revenue FROM usage_events u
      JOIN licenses l ON l.id = u.license_id
      WHERE l.model = 'revenue_share' AND ((u.billable_at IS NULL AND u.occurred_at >= ${start} AND u.occurred_at < ${end})
        OR (u.billable_at >= ${start} AND u.billable_at < ${end}))
      GROUP BY u.license_id`;
  const [{ late }] = await tx.$queryRaw<{ late: number }[]>`
      SELECT count(*)::int AS late FROM usage_events u
      WHERE u.billable_at >= ${start} AND u.billable_at < ${end}`;
  const previous = await tx.epoch.findUnique({ where: { id: baseId }, select: { state: true } });
  const raw: SettlementInputRaw = {
    window: { epoch, start: secs(start), end: secs(end) },
    platformFee: { bps: config.platformFeeBps, treasury: config.treasuryAddress },
    datasets: datasets
      .filter((d) => d.shares.length > 0)
      .map((d) => ({ id: d.id, contributors: d.shares.map((s) => ({ account: s.account, bps: s.bps })) })),
    licenses: licenses.map((l) => ({
      id: l.id,
      token: l.token,
      datasets: l.datasets.map((d) => ({ datasetId: d.datasetId, weight: d.weightBps })),
      model: modelOf(l),
      payer: l.buyer.address,
      endsAt: secs(l.endsAt),
      ...(l.cancelledAt ? { cancelledAt: secs(l.cancelledAt) } : {}),
      exclusivity: l.exclusive
        ? l.datasets.map((d) => ({
            datasetId: d.datasetId,
            scope: l.scope,
            start: secs(l.startsAt),
            end: secs(l.endsAt),
          }))
        : [],
    })),
    deposits: deposits.map((d) => ({
      licenseId: d.licenseId,
      token: d.token,
      amount: d.amount.toFixed(),
      payer: d.payer,
      at: secs(d.createdAt),
    })),
    usage: usage.map((u) => ({ licenseId: u.license_id, datasetId: u.dataset_id, epoch, units: u.units })),
    revenue: revenue.map((r) => ({ licenseId: r.license_id, epoch, revenue: r.revenue })),
    splitter: config.splitterAddress,
    lifecycle: config.lifecycle,
    previous: (previous?.state ?? null) as SettlementInputRaw["previous"],
  };
  return { raw, depositIds: deposits.map((d) => d.id), lateEvents: late };
}

/** A stored, `computed` epoch. */
export type ClosedEpoch = {
  status: "closed";
  epoch: number;
  root: Hex;
  contentHash: Hex;
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
export type ClosePhase = "dbRead" | "settlement" | "tree" | "file" | "dbWrite";

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
      const base = await tx.epoch.findFirst({
        where: { status: { not: "vetoed" } },
        orderBy: { id: "desc" },
        select: { id: true, endsAt: true },
      });
      const epoch = (last?.id ?? 0) + 1;
      const start = base?.endsAt ?? new Date(0);
      if (end <= start) throw new EpochWindowEmptyError(epoch, start, end);
      const { raw, depositIds, lateEvents } = await settlementInput(tx, deps, epoch, start, end, base?.id ?? 0);
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
        writeDistributionFile(distribution, sink),
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
          state: toJson(result.state),
          distributionSize: BigInt(stored.size),
          closedBy: operator,
        },
        select: { id: true }, // not the row back: it holds the carried state
      });
      // One statement over arrays (unnest) instead of createMany's multi-row VALUES: at 100,000 leaves the latter
      // spent seconds building and binding parameters (bench:epoch).
      const cols = {
        account: [] as string[],
        token: [] as string[],
        amount: [] as string[],
        cumulative: [] as string[],
        leaf: [] as number[],
      };
      for (const a of result.allocations) {
        cols.account.push(a.account);
        cols.token.push(a.token);
        cols.amount.push(a.amount.toString());
        cols.cumulative.push(a.cumulative.toString());
        cols.leaf.push(distribution.indexOf(a.account, a.token));
      }
      await tx.$executeRaw`INSERT INTO allocations (epoch_id, account, token, amount, cumulative, leaf_index)
        SELECT ${epoch}::int, * FROM unnest(${cols.account}::text[], ${cols.token}::text[], ${cols.amount}::numeric[], ${cols.cumulative}::numeric[], ${cols.leaf}::int[])`;
      if (depositIds.length)
        await tx.deposit.updateMany({ where: { id: { in: depositIds } }, data: { settledEpoch: epoch } });
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
        leafCount: distribution.leafCount,
        result,
      };
    },
    { timeout: 600_000, maxWait: 60_000 },
  );
}
