/** Creators: registration, their datasets and contributor shares. Every lookup is scoped to the caller. */
import crypto from "node:crypto";
import type { Prisma } from "../../db/generated/client";
import { badRequest, conflict, forbidden, notFound, unprocessable } from "../errors";
import type { Deps } from "./deps";
import { ensureRole } from "./roles";

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

function datasetView(d: {
  id: string;
  name: string;
  metadata: Prisma.JsonValue;
  status: string;
  createdAt: Date;
  shares: Share[];
}) {
  return {
    id: d.id,
    name: d.name,
    metadata: d.metadata,
    status: d.status,
    createdAt: d.createdAt.toISOString(),
    shares: d.shares
      .map((s) => ({ account: s.account, bps: s.bps }))
      .sort((a, b) => a.account.localeCompare(b.account)),
  };
}

export async function createDataset(
  { prisma }: Deps,
  ownerAddress: string,
  input: { id?: string; name: string; metadata: Record<string, unknown>; shares: Share[] },
) {
  checkShares(input.shares);
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
  const d = await prisma.dataset.findUnique({ where: { id }, include: { shares: true, owner: true } });
  if (!d || d.owner.address !== ownerAddress) throw notFound(`dataset ${id}`);
  return d;
}

export async function getDataset(deps: Deps, ownerAddress: string, id: string) {
  return datasetView(await ownedDataset(deps, ownerAddress, id));
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
    include: { shares: true },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    take: page.limit,
  });
  return rows.map(datasetView);
}

export async function setShares(deps: Deps, ownerAddress: string, id: string, shares: Share[]) {
  checkShares(shares);
  await ownedDataset(deps, ownerAddress, id);
  const d = await deps.prisma.$transaction(async (tx) => {
    await tx.contributorShare.deleteMany({ where: { datasetId: id } });
    await tx.contributorShare.createMany({ data: shares.map((s) => ({ datasetId: id, ...s })) });
    return tx.dataset.findUniqueOrThrow({ where: { id }, include: { shares: true } });
  });
  return datasetView(d);
}
