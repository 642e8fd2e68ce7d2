/** Creators: registration, their datasets and contributor shares. Every lookup is scoped to the caller. */
import crypto from "node:crypto";
import type { Address } from "viem";
import type { Prisma } from "../../db/generated/client";
import { EPOCH_CLOSE_LOCK } from "../../epochs/lock";
import { lastStandingEpoch } from "../../epochs/standing-epoch";
import { enqueueFor } from "../../webhooks/events";
import { badRequest, conflict, forbidden, notFound, unprocessable, type FieldError } from "../errors";
import { audit } from "./audit";
import type { Deps } from "./deps";
import { ensureRole } from "./roles";
import { NATIVE, type TokenAllowList } from "./token-allow-list";

export type Share = { account: string; bps: number };

export async function registerCreator({ prisma }: Deps, address: string, name: string) {
  return prisma.$transaction(async (tx) => {
    if (await tx.creator.findUnique({ where: { address } })) throw conflict(`creator ${address} is already registered`);
    const c = await tx.creator.create({ data: { address, name } });
    await ensureRole(tx, address, "creator");
    return { id: c.id, address: c.address, name: c.name, createdAt: c.createdAt.toISOString() };
  });
}

export async function creatorByAddress({ prisma }: Deps, address: string) {
  const c = await prisma.creator.findUnique({ where: { address } });
  if (!c) throw forbidden("register as a creator first");
  return c;
}

function checkShares(shares: Share[]): void {
  const seen = new Set<string>();
  shares.forEach((s, i) => {
    if (seen.has(s.account))
      throw unprocessable("duplicate contributor", [{ path: `/shares/${i}/account`, message: "listed twice" }]);
    seen.add(s.account);
  });
  const total = shares.reduce((a, s) => a + s.bps, 0);
  if (total !== 10_000)
    throw unprocessable("contributor shares must sum to 10,000 bps", [{ path: "/shares", message: `sum is ${total}` }]);
}

const ZERO = "0x0000000000000000000000000000000000000000";

/**
 * A leaf for the zero address, the splitter or a token could never be claimed usefully, and the engine skips a dataset
 * naming one (nobody on it is paid): refused here, before anything is stored. Tokens are the native sentinel, any
 * token an offer was made in, and (with a chain) any token on the splitter's allow-list.
 */
async function checkAccounts(deps: Deps, shares: Share[], tokens?: TokenAllowList): Promise<void> {
  const accounts = shares.map((s) => s.account.toLowerCase());
  const offered = await deps.prisma.offer.findMany({
    where: { token: { in: accounts } },
    select: { token: true },
    distinct: ["token"],
  });
  const knownTokens = new Set([NATIVE, ...offered.map((o) => o.token.toLowerCase())]);
  const splitter = deps.common.config.splitterAddress.toLowerCase();
  const allowed = tokens ? await Promise.all(accounts.map((a) => tokens.isAllowed(a as Address))) : [];
  const errors: FieldError[] = [];
  accounts.forEach((a, i) => {
    const path = `/shares/${i}/account`;
    if (a === ZERO) errors.push({ path, message: "the zero address", code: "zero-address" });
    else if (a === splitter) errors.push({ path, message: "the splitter contract", code: "splitter-address" });
    else if (knownTokens.has(a) || allowed[i]) errors.push({ path, message: "a token address", code: "token-address" });
  });
  if (errors.length) throw unprocessable("a contributor account can never be paid", errors);
}

type ChangeRow = {
  id: string;
  datasetId: string;
  shares: Prisma.JsonValue;
  requestedAt: Date;
  effectiveAt: Date;
  affected: string[];
  approvedBy: string[];
};

const sharesOf = (json: Prisma.JsonValue) => json as Share[];
const byAccount = (shares: Share[]) =>
  shares.map((s) => ({ account: s.account, bps: s.bps })).sort((a, b) => a.account.localeCompare(b.account));

/** The shares in force at `at`: the change with the latest effectiveAt <= at, else the listed shares. */
export function sharesAt(
  listed: Share[],
  changes: readonly { effectiveAt: Date; shares: Prisma.JsonValue }[],
  at: Date,
): Share[] {
  let current = listed;
  for (const c of [...changes].sort((a, b) => a.effectiveAt.getTime() - b.effectiveAt.getTime()))
    if (c.effectiveAt <= at) current = sharesOf(c.shares);
  return current;
}

function changeView(c: ChangeRow) {
  return {
    id: c.id,
    shares: byAccount(sharesOf(c.shares)),
    requestedAt: c.requestedAt.toISOString(),
    effectiveAt: c.effectiveAt.toISOString(),
    awaitingApproval: c.affected.filter((a) => !c.approvedBy.includes(a)).sort(),
    approvedBy: [...c.approvedBy].sort(),
  };
}

function datasetView(
  d: {
    id: string;
    name: string;
    metadata: Prisma.JsonValue;
    status: string;
    createdAt: Date;
    shares: Share[];
    shareChanges?: ChangeRow[];
  },
  now = new Date(),
) {
  const changes = d.shareChanges ?? [];
  return {
    id: d.id,
    name: d.name,
    metadata: d.metadata,
    status: d.status,
    createdAt: d.createdAt.toISOString(),
    shares: byAccount(sharesAt(d.shares, changes, now)),
    scheduledShares: changes
      .filter((c) => c.effectiveAt > now)
      .sort((a, b) => a.effectiveAt.getTime() - b.effectiveAt.getTime())
      .map(changeView),
  };
}

export async function createDataset(
  { prisma, common }: Deps,
  ownerAddress: string,
  input: { id?: string; name: string; metadata: Record<string, unknown>; shares: Share[] },
  tokens?: TokenAllowList,
) {
  checkShares(input.shares);
  await checkAccounts({ prisma, common }, input.shares, tokens);
  const owner = await creatorByAddress({ prisma } as Deps, ownerAddress);
  const id = input.id ?? "0x" + crypto.randomBytes(32).toString("hex");
  if (await prisma.dataset.findUnique({ where: { id } })) throw conflict(`dataset ${id} already exists`);
  const d = await prisma.dataset.create({
    data: {
      id,
      ownerId: owner.id,
      name: input.name,
      metadata: input.metadata as Prisma.InputJsonValue,
      shares: { create: input.shares },
    },
    include: { shares: true },
  });
  return datasetView(d);
}

/** The dataset if the caller owns it; another creator's dataset is reported as not found. */
export async function ownedDataset({ prisma }: Deps, ownerAddress: string, id: string) {
  const d = await prisma.dataset.findUnique({ where: { id }, include: { owner: true } });
  if (!d || d.owner.address !== ownerAddress) throw notFound(`dataset ${id}`);
  return d;
}

export async function getDataset(deps: Deps, ownerAddress: string, id: string) {
  await ownedDataset(deps, ownerAddress, id);
  // The view shows the shares in force and the scheduled changes: only it needs the change history.
  return datasetView(
    await deps.prisma.dataset.findUniqueOrThrow({ where: { id }, include: { shares: true, shareChanges: true } }),
  );
}

/** One page of the caller's datasets in (createdAt, id) order; `after` is the last id of the previous page. */
export async function listDatasets(
  { prisma }: Deps,
  ownerAddress: string,
  page: { after?: string; limit: number } = { limit: 100 },
) {
  const owner = { address: ownerAddress };
  let from = {};
  if (page.after !== undefined) {
    const last = await prisma.dataset.findFirst({ where: { id: page.after, owner }, select: { createdAt: true } });
    if (!last) throw badRequest("unknown cursor", [{ path: "/query/after", message: "not one of your datasets" }]);
    from = { OR: [{ createdAt: { gt: last.createdAt } }, { createdAt: last.createdAt, id: { gt: page.after } }] };
  }
  const rows = await prisma.dataset.findMany({
    where: { owner, ...from },
    include: { shares: true, shareChanges: true },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    take: page.limit,
  });
  return rows.map((d) => datasetView(d));
}

const seconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);

/**
 * Schedules new shares for one of the caller's datasets from `effectiveAt` (default now; at most
 * SHARE_CHANGE_PAST_TOLERANCE_SECONDS in the past and never inside a closed epoch). A change that removes or lowers
 * another contributor takes effect at the requested time only once that contributor approves it
 * (`POST /v1/share-changes/:id/approve`, SIWE); until then it is pushed to SHARE_CHANGE_NOTICE_SECONDS from now, and
 * each such contributor is notified (webhook `shares.change-proposed`). Runs under the epoch-close lock (shared), so
 * no close can run between the check against the last closed epoch and the insert.
 */
export async function setShares(
  deps: Deps,
  ownerAddress: string,
  id: string,
  shares: Share[],
  opts: { effectiveAt?: string; tokens?: TokenAllowList } = {},
) {
  checkShares(shares);
  await checkAccounts(deps, shares, opts.tokens);
  await ownedDataset(deps, ownerAddress, id);
  const { pastToleranceSeconds, noticeSeconds } = deps.common.config.shareChanges;
  const now = seconds(Date.now());
  const requestedAt = opts.effectiveAt ? seconds(Date.parse(opts.effectiveAt)) : now;
  if (requestedAt.getTime() < now.getTime() - pastToleranceSeconds * 1000)
    throw unprocessable("a share change cannot take effect in the past", [
      { path: "/effectiveAt", message: `more than ${pastToleranceSeconds} s in the past`, code: "in-past" },
    ]);
  const d = await deps.prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock_shared(${EPOCH_CLOSE_LOCK}::bigint)`;
    const closed = await lastStandingEpoch(tx);
    if (closed && requestedAt < closed.endsAt)
      throw unprocessable("a share change cannot take effect inside a closed epoch", [
        { path: "/effectiveAt", message: `before ${closed.endsAt.toISOString()}`, code: "epoch-closed" },
      ]);
    const current = await tx.dataset.findUniqueOrThrow({
      where: { id },
      include: { shares: true, shareChanges: true },
    });
    const before = new Map(sharesAt(current.shares, current.shareChanges, requestedAt).map((s) => [s.account, s.bps]));
    const after = new Map(shares.map((s) => [s.account, s.bps]));
    // The owner's own request is its consent; every other contributor who loses bps must consent separately.
    const affected = [...before]
      .filter(([a, bps]) => a !== ownerAddress && (after.get(a) ?? 0) < bps)
      .map(([a]) => a)
      .sort();
    const noticeEnd = new Date(now.getTime() + noticeSeconds * 1000);
    const effectiveAt = affected.length && requestedAt < noticeEnd ? noticeEnd : requestedAt;
    if (current.shareChanges.some((c) => c.effectiveAt.getTime() === effectiveAt.getTime()))
      throw conflict(`dataset ${id} already has a share change taking effect at ${effectiveAt.toISOString()}`);
    const change = await tx.shareChange.create({
      data: {
        datasetId: id,
        shares: shares.map((s) => ({ account: s.account, bps: s.bps })),
        requestedAt,
        effectiveAt,
        affected,
        createdBy: ownerAddress,
      },
    });
    // Only what concerns the recipient: its own share before and after, and when.
    for (const account of affected)
      await enqueueFor(tx, account, "creator", "shares.change-proposed", {
        changeId: change.id,
        datasetId: id,
        bpsBefore: before.get(account) ?? 0,
        bpsAfter: after.get(account) ?? 0,
        requestedAt: requestedAt.toISOString(),
        effectiveAt: effectiveAt.toISOString(),
      });
    await audit(tx, {
      actor: ownerAddress,
      action: "shares.changed",
      target: `dataset:${id}`,
      details: { changeId: change.id, requestedAt: requestedAt.toISOString(), effectiveAt: effectiveAt.toISOString() },
    });
    return tx.dataset.findUniqueOrThrow({ where: { id }, include: { shares: true, shareChanges: true } });
  });
  return datasetView(d);
}

/**
 * A contributor the change removes or lowers approves it (SIWE session). Once every such contributor has, the change
 * takes effect at its requested time, or at the end of the last closed epoch if that is later (never earlier than
 * already scheduled).
 */
export async function approveShareChange(deps: Deps, address: string, changeId: string) {
  return deps.prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock_shared(${EPOCH_CLOSE_LOCK}::bigint)`;
    const c = await tx.shareChange.findUnique({ where: { id: changeId } });
    if (!c || !c.affected.includes(address)) throw notFound(`share change ${changeId} awaiting your approval`);
    if (c.approvedBy.includes(address)) return changeView(c);
    const approvedBy = [...c.approvedBy, address];
    let effectiveAt = c.effectiveAt;
    if (c.affected.every((a) => approvedBy.includes(a))) {
      const closed = await lastStandingEpoch(tx);
      const earliest = closed && closed.endsAt > c.requestedAt ? closed.endsAt : c.requestedAt;
      if (earliest < effectiveAt) effectiveAt = earliest;
    }
    if (effectiveAt.getTime() !== c.effectiveAt.getTime()) {
      const clash = await tx.shareChange.findFirst({ where: { datasetId: c.datasetId, effectiveAt } });
      if (clash)
        throw conflict(
          `dataset ${c.datasetId} already has a share change taking effect at ${effectiveAt.toISOString()}`,
        );
    }
    const updated = await tx.shareChange.update({ where: { id: changeId }, data: { approvedBy, effectiveAt } });
    await audit(tx, {
      actor: address,
      action: "shares.change-approved",
      target: `dataset:${c.datasetId}`,
      details: { changeId, effectiveAt: effectiveAt.toISOString() },
    });
    return changeView(updated);
  });
}

/** Share changes awaiting the caller's approval (it is a contributor they remove or lower). */
export async function pendingShareChanges({ prisma }: Deps, address: string) {
  const rows = await prisma.shareChange.findMany({
    where: { affected: { has: address }, NOT: { approvedBy: { has: address } } },
    orderBy: [{ effectiveAt: "asc" }, { id: "asc" }],
  });
  return rows.map((c) => ({ datasetId: c.datasetId, ...changeView(c) }));
}
