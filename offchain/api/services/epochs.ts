/**
 * Public epoch data: roots, content hashes, totals, counts, the distribution file, and proofs. Proofs come
 * from the distribution rebuilt from the stored file (the epochs stage's bounded cache), looked up in O(log N).
 */
import type { Address } from "viem";
import { type DistributionCache, loadDistributionFile } from "../../epochs";
import { notFound } from "../errors";
import type { Deps } from "./deps";

type EpochRow = {
  id: number;
  startsAt: Date;
  endsAt: Date;
  status: string;
  root: string;
  contentHash: string;
  totals: unknown;
  leafCount: number;
  report: unknown;
  txHash: string | null;
};

function epochView(e: EpochRow) {
  const report = e.report as { counts?: Record<string, number> };
  return {
    epoch: e.id,
    startsAt: e.startsAt.toISOString(),
    endsAt: e.endsAt.toISOString(),
    status: e.status,
    root: e.root,
    contentHash: e.contentHash,
    totals: e.totals,
    leafCount: e.leafCount,
    // Aggregates only: how many of each kind of record settled, never which.
    counts: report.counts ?? {},
    txHash: e.txHash,
  };
}

const EPOCH_FIELDS = {
  id: true,
  startsAt: true,
  endsAt: true,
  status: true,
  root: true,
  contentHash: true,
  totals: true,
  leafCount: true,
  report: true,
  txHash: true,
} as const;

export async function listEpochs({ prisma }: Deps) {
  const rows = await prisma.epoch.findMany({ select: EPOCH_FIELDS, orderBy: { id: "asc" } });
  return rows.map(epochView);
}

export async function getEpoch({ prisma }: Deps, id: number) {
  const e = await prisma.epoch.findUnique({ where: { id }, select: EPOCH_FIELDS });
  if (!e) throw notFound(`epoch ${id}`);
  return epochView(e);
}

export function distributionFile({ prisma }: Deps, id: number): Promise<Buffer> {
  return loadDistributionFile(prisma, id);
}

/**
 * For each token the account has a leaf for in the latest distribution: cumulative, claimed on-chain so far,
 * claimable now, proof, epoch and root. Only an epoch whose root is live on-chain (`claimable`) makes anything
 * claimable; until then the latest computed epoch's proofs are shown with claimable 0.
 */
export async function proofsFor(deps: Deps, cache: DistributionCache, account: string) {
  const latest =
    (await deps.prisma.epoch.findFirst({
      where: { status: "claimable" },
      orderBy: { id: "desc" },
      select: { id: true, root: true, status: true },
    })) ??
    (await deps.prisma.epoch.findFirst({
      where: { status: { in: ["computed", "submitted"] } },
      orderBy: { id: "desc" },
      select: { id: true, root: true, status: true },
    }));
  if (!latest) return { account, proofs: [] };
  const [distribution, claimed] = await Promise.all([
    cache.get(latest.id),
    deps.prisma.claimedTotal.findMany({ where: { account } }),
  ]);
  const claimedBy = new Map(claimed.map((c) => [c.token, BigInt(c.claimed.toFixed())]));
  const tokens = distribution.tokenTotals.map((t) => t.token);
  const proofs = tokens.flatMap((token) => {
    const claim = distribution.claimFor(account as Address, token);
    if (!claim) return [];
    const done = claimedBy.get(token) ?? 0n;
    const claimable =
      latest.status === "claimable" && claim.cumulativeAmount > done ? claim.cumulativeAmount - done : 0n;
    return [
      {
        token,
        cumulative: claim.cumulativeAmount.toString(),
        claimed: done.toString(),
        claimable: claimable.toString(),
        proof: claim.proof,
        leafIndex: claim.index,
        epoch: latest.id,
        root: latest.root,
        epochStatus: latest.status,
      },
    ];
  });
  return { account, proofs };
}

/** Per epoch and token, what the account was allocated and its cumulative. */
export async function earningsOf({ prisma }: Deps, account: string) {
  const rows = await prisma.allocation.findMany({
    where: { account },
    orderBy: [{ epochId: "asc" }, { token: "asc" }],
  });
  return rows.map((r) => ({
    epoch: r.epochId,
    token: r.token,
    amount: r.amount.toFixed(),
    cumulative: r.cumulative.toFixed(),
  }));
}
