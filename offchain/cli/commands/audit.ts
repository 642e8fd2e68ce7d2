/**
 * `tributary audit recompute <export> [--file <distribution>]` — reruns an epoch's close from its audit export
 * (offchain/epochs/audit-export.ts) and compares with the chain: the rebuilt allocation root with the proposed root,
 * the rebuilt file's content hash (whose header carries the rebuilt usage root) with the committed content hash.
 * On a difference it names the first leaf that differs from the published file (given, or fetched by content hash).
 */
import fs from "node:fs";
import type { Hex } from "viem";
import { recomputeAudit } from "../../epochs/audit-export";
import { readDistributionFile, type Distribution } from "../../merkle";
import type { Context } from "../context";
import { proposedRoot } from "./verify";

export type LeafDifference = {
  index: number;
  published: { account: string; token: string; cumulativeAmount: string } | null;
  recomputed: { account: string; token: string; cumulativeAmount: string } | null;
};

export type AuditRecomputation = {
  epoch: number;
  root: { recomputed: Hex; onChain: Hex | null; match: boolean };
  contentHash: { recomputed: Hex; onChain: Hex | null; match: boolean };
  usageRoot: { recomputed: Hex | null; published: Hex | null; match: boolean };
  /** The usage records disagree with the engine's usage input (see recomputeAudit). */
  inconsistencies: string[];
  firstDifferingLeaf: LeafDifference | null;
  ok: boolean;
};

const leafOf = (d: Distribution, i: number) =>
  i < d.leafCount
    ? { account: d.leaves.accounts[i], token: d.leaves.tokens[i], cumulativeAmount: d.leaves.amounts[i].toString() }
    : null;

/** The first canonical index at which two distributions' leaves differ, or null when they are equal. */
export function firstDifferingLeaf(published: Distribution, recomputed: Distribution): LeafDifference | null {
  const n = Math.max(published.leafCount, recomputed.leafCount);
  for (let i = 0; i < n; i++) {
    const a = leafOf(published, i);
    const b = leafOf(recomputed, i);
    if (JSON.stringify(a) !== JSON.stringify(b)) return { index: i, published: a, recomputed: b };
  }
  return null;
}

export async function auditRecompute(ctx: Context, exportPath: string, file?: string): Promise<AuditRecomputation> {
  const r = await recomputeAudit(JSON.parse(fs.readFileSync(exportPath, "utf8")));
  const onChain = await proposedRoot(ctx, r.epoch);
  const rootMatch = onChain !== undefined && onChain.root.toLowerCase() === r.root;
  const hashMatch = onChain !== undefined && onChain.contentHash.toLowerCase() === r.contentHash;
  let published: Distribution | undefined;
  let publishedUsageRoot: Hex | null = null;
  if (!rootMatch || !hashMatch) {
    // The published file: the one given, or the one the chain commits to, fetched by its content hash.
    const source = file
      ? file
      : onChain
        ? (async function* () {
            yield Buffer.from(await ctx.api.text(`/v1/distributions/${onChain.contentHash}`));
          })()
        : undefined;
    if (source) {
      const read = await readDistributionFile(source);
      published = read.distribution;
      publishedUsageRoot = (read.header.usageRoot ?? null) as Hex | null;
    }
  }
  const usageMatch = hashMatch || (publishedUsageRoot !== null && publishedUsageRoot === r.usageRoot);
  return {
    epoch: r.epoch,
    root: { recomputed: r.root, onChain: onChain?.root ?? null, match: rootMatch },
    contentHash: { recomputed: r.contentHash, onChain: onChain?.contentHash ?? null, match: hashMatch },
    usageRoot: { recomputed: r.usageRoot, published: hashMatch ? r.usageRoot : publishedUsageRoot, match: usageMatch },
    inconsistencies: r.inconsistencies,
    firstDifferingLeaf: published ? firstDifferingLeaf(published, r.distribution) : null,
    ok: rootMatch && hashMatch && r.inconsistencies.length === 0,
  };
}
