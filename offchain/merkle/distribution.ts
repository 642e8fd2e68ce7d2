/**
 * A distribution: one epoch's canonical leaves, their Merkle tree, and O(log N) claim lookups.
 * This is what the service publishes (root on-chain, file for everyone) and serves proofs from.
 */
import type { Address, Hex } from "viem";
import { canonicalizeLeaves, type CanonicalLeaves, type TokenTotal } from "./canonical";
import { DistributionMetaInvalidError, MerkleEmptyTreeError } from "./errors";
import type { LeafValue } from "./leaf";
import { buildLeafTree, type LeafTreeOptions } from "./parallel-tree";
import { multiProof } from "./multiproof";
import type { FlatMerkleTree } from "./tree";

/** Where and when a distribution applies. */
export interface DistributionMeta {
  /** EIP-155 chain id of the RoyaltySplitter deployment. */
  readonly chainId: number;
  /** RoyaltySplitter address (stored lower-case). */
  readonly contract: Address;
  readonly epoch: bigint;
}

/** Everything a claimant needs to call RoyaltySplitter. */
export interface Claim extends LeafValue {
  readonly index: number;
  readonly leaf: Hex;
  readonly proof: Hex[];
}

/** Everything RoyaltySplitter.claimMultiproof needs to claim all of an account's tokens at once. */
export interface MultiClaim {
  readonly account: Address;
  /** Tokens ascending: the order of the account's leaves, which the multiproof consumes. */
  readonly tokens: Address[];
  readonly cumulativeAmounts: bigint[];
  readonly proof: Hex[];
  /** OpenZeppelin's flags, and the same packed into one word (step i in bit i) as claimMultiproof takes them. */
  readonly proofFlags: boolean[];
  readonly proofFlagsWord: bigint;
}

export interface Distribution extends DistributionMeta {
  readonly root: Hex;
  readonly leafCount: number;
  readonly leaves: CanonicalLeaves;
  readonly tokenTotals: readonly TokenTotal[];
  readonly tree: FlatMerkleTree;
  /**
   * Canonical index of (account, token), or -1: binary search for the account in the canonical order,
   * then a scan of its leaves, O(log N + tokens of the account).
   */
  indexOf(account: Address, token: Address): number;
  /** The claim at a canonical index, proof included. */
  claimAt(index: number): Claim;
  /** The claim of (account, token), or undefined when the distribution has no such leaf. */
  claimFor(account: Address, token: Address): Claim | undefined;
  /**
   * One multiproof for all of `account`'s leaves, or undefined when it has none.
   * @throws MerkleMultiProofUnsupportedError for the rare account at the tree's promoted right edge
   *   (claim its tokens with `claimFor` proofs and claimBatch instead).
   */
  multiClaimFor(account: Address): MultiClaim | undefined;
}

/**
 * Canonicalizes `values` (any order), hashes the leaves and builds the tree.
 * @throws MerkleEmptyTreeError, MerkleInvalidLeafError, MerkleDuplicateLeafError
 * @example const d = await buildDistribution({ chainId: 1, contract, epoch: 3n }, allocations); d.claimFor(a, t)
 */
export async function buildDistribution(
  meta: DistributionMeta,
  values: Iterable<LeafValue>,
  options?: LeafTreeOptions,
): Promise<Distribution> {
  return distributionFromCanonical(meta, canonicalizeLeaves(values), options);
}

/** Builds the distribution of leaves already in canonical order (the file reader's path). */
export async function distributionFromCanonical(
  meta: DistributionMeta,
  leaves: CanonicalLeaves,
  options?: LeafTreeOptions,
): Promise<Distribution> {
  if (leaves.length === 0) throw new MerkleEmptyTreeError();
  const normalized = normalizeMeta(meta);
  const tree = await buildLeafTree(leaves, options);

  /** First leaf of lower-case `a` (binary search), or -1. */
  const firstOf = (a: string): number => {
    let lo = 0;
    let hi = leaves.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (leaves.accounts[mid] < a) lo = mid + 1;
      else hi = mid;
    }
    return lo < leaves.length && leaves.accounts[lo] === a ? lo : -1;
  };
  const indexOf = (account: Address, token: Address): number => {
    const t = token.toLowerCase();
    const first = firstOf(account.toLowerCase());
    // The account's few leaves follow, tokens ascending.
    for (
      let i = first;
      i >= 0 && i < leaves.length && leaves.accounts[i] === leaves.accounts[first] && leaves.tokens[i] <= t;
      i++
    ) {
      if (leaves.tokens[i] === t) return i;
    }
    return -1;
  };
  const claimAt = (index: number): Claim => ({
    index,
    account: leaves.accounts[index],
    token: leaves.tokens[index],
    cumulativeAmount: leaves.amounts[index],
    leaf: tree.leaf(index),
    proof: tree.proof(index),
  });
  return {
    ...normalized,
    root: tree.root,
    leafCount: leaves.length,
    leaves,
    tokenTotals: leaves.tokenTotals,
    tree,
    indexOf,
    claimAt: (index) => {
      tree.leaf(index); // range check with the tree's typed error
      return claimAt(index);
    },
    claimFor: (account, token) => {
      const index = indexOf(account, token);
      return index < 0 ? undefined : claimAt(index);
    },
    multiClaimFor: (account) => {
      const first = firstOf(account.toLowerCase());
      if (first < 0) return undefined;
      let end = first;
      while (end < leaves.length && leaves.accounts[end] === leaves.accounts[first]) end++;
      const m = multiProof(
        tree,
        Array.from({ length: end - first }, (_, k) => first + k),
      );
      return {
        account: leaves.accounts[first],
        tokens: m.indices.map((i) => leaves.tokens[i]),
        cumulativeAmounts: m.indices.map((i) => leaves.amounts[i]),
        proof: m.proof,
        proofFlags: m.proofFlags,
        proofFlagsWord: m.proofFlags.reduce((x, f, i) => (f ? x | (1n << BigInt(i)) : x), 0n),
      };
    },
  };
}

function normalizeMeta(meta: DistributionMeta): DistributionMeta {
  if (!Number.isSafeInteger(meta.chainId) || meta.chainId <= 0) {
    throw new DistributionMetaInvalidError("chainId", "must be a positive safe integer");
  }
  if (!/^0x[0-9a-fA-F]{40}$/.test(meta.contract))
    throw new DistributionMetaInvalidError("contract", "is not a 20-byte 0x address");
  if (typeof meta.epoch !== "bigint" || meta.epoch < 0n)
    throw new DistributionMetaInvalidError("epoch", "must be a bigint ≥ 0");
  return { chainId: meta.chainId, contract: meta.contract.toLowerCase() as Address, epoch: meta.epoch };
}
