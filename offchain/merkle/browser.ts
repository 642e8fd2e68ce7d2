/**
 * Browser-safe entry of the Merkle module, for the web pages: the same leaf, tree, distribution and
 * distribution-file reader code the service uses (nothing re-implemented), plus a reader over bytes
 * already in memory. The web bundler maps `node:fs`/`node:events` (only reached by the path- and
 * stream-based helpers, which the pages never call) to a stub and provides `Buffer` from the `buffer`
 * package.
 */
import type { Hex } from "viem";
import { readDistributionFile, type ReadDistributionFile } from "./distribution-reader";
import { hashPair } from "./leaf";

export { leafHash, hashPair, processProof, verifyProof, encodeLeaf, type LeafValue } from "./leaf";
export { buildDistribution, type Distribution, type Claim } from "./distribution";
export { DistributionFileInvalidError } from "./errors";
export { verifyUsageReceipt, type UsageReceipt } from "./usage-commitment";
export { unwrapUsageReceipt, usageReceiptEpoch } from "./usage-receipt-input";
export type { ReadDistributionFile } from "./distribution-reader";

/**
 * Reads, validates and rebuilds a distribution file held in memory (fetched by the page).
 * @returns the distribution, its header and `contentHash` = keccak256 of exactly `bytes`.
 * @throws DistributionFileInvalidError naming the offending line.
 */
export function readDistributionBytes(bytes: Uint8Array): Promise<ReadDistributionFile> {
  return readDistributionFile(
    (async function* () {
      yield bytes;
    })(),
  );
}

/** One step of a proof check: the node so far, the sibling it is paired with, and their sorted-pair hash. */
export type ProofStep = { readonly node: Hex; readonly sibling: Hex; readonly parent: Hex };

/** `processProof` with every intermediate node, so a page can show the check step by step. */
export function traceProof(leaf: Hex, proof: readonly Hex[]): ProofStep[] {
  const steps: ProofStep[] = [];
  let node = leaf;
  for (const sibling of proof) {
    const parent = hashPair(node, sibling);
    steps.push({ node, sibling, parent });
    node = parent;
  }
  return steps;
}
