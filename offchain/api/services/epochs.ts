/**
 * Public epoch data: roots, content hashes, totals, counts, the distribution file, and proofs. Proofs come
 * from the distribution rebuilt from the stored file (the epochs stage's bounded cache), looked up in O(log N).
 */
import type { Address } from "viem";
import type { Readable } from "node:stream";
import { createProofState, type DistributionCache, epochDistributionFile, type ProofState } from "../../epochs";
import { normalizeContentHash, type ContentStore, type StoredFile } from "../../files";
import { notFound } from "../errors";
import type { Reply } from "../route";
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

/** A stored file as a reply: streamed, `ETag` = its content hash, `304` when the client already has it. */
async function storedFileReply(
  store: ContentStore,
  file: StoredFile,
  ifNoneMatch: string | undefined,
  cacheControl: string,
): Promise<Reply> {
  const etag = `"${file.contentHash}"`;
  const headers = { etag, "cache-control": cacheControl, "content-length": String(file.size) };
  if (ifNoneMatch?.split(",").some((t) => t.trim().replace(/^W\//, "") === etag))
    return { status: 304, body: undefined, headers: { etag, "cache-control": cacheControl } };
  const { stream }: { stream: Readable } = await store.open(file.contentHash);
  return { body: stream, contentType: "application/x-ndjson", headers };
}

/** The epoch's distribution file. Its number names one file for good, but clients revalidate (cheap: 304). */
export async function distributionFileOfEpoch(
  { prisma }: Deps,
  store: ContentStore,
  id: number,
  ifNoneMatch?: string,
): Promise<Reply> {
  const file = await epochDistributionFile(prisma, store, id).catch((err: unknown) => {
    throw isNotFound(err) ? notFound(`epoch ${id} distribution`) : err;
  });
  return storedFileReply(store, file, ifNoneMatch, "public, no-cache");
}

/** A stored file by content hash: the bytes can never change, so it is cached for good. */
export async function distributionFileByHash(store: ContentStore, contentHash: string, ifNoneMatch?: string) {
  const file = await store.stat(normalizeContentHash(contentHash));
  if (!file) throw notFound(`distribution ${contentHash}`);
  return storedFileReply(store, file, ifNoneMatch, "public, max-age=31536000, immutable");
}

function isNotFound(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === "EPOCH_NOT_FOUND" || code === "FILES_NOT_FOUND";
}

/**
 * For each token the account has a leaf for in the latest distribution: cumulative, claimed on-chain so far,
 * claimable now, proof, epoch and root. Only an epoch whose root is live on-chain (`claimable`) makes anything
 * claimable; until then the latest computed epoch's proofs are shown with claimable 0.
 */
export async function proofsFor(deps: Deps, cache: DistributionCache, account: string, state?: ProofState) {
  const { latest, claimed } = await (state ?? createProofState({ prisma: deps.prisma, maxAgeMs: 0 })).forAccount(
    account,
  );
  if (!latest) return { account, proofs: [] };
  const distribution = await cache.get(latest.id);
  const tokens = distribution.tokenTotals.map((t) => t.token);
  const proofs = tokens.flatMap((token) => {
    const claim = distribution.claimFor(account as Address, token);
    if (!claim) return [];
    const done = claimed(token);
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
