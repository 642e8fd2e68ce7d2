/**
 * Merkle multiproofs over the flat merkletreejs-shaped tree of tree.ts, in the form OpenZeppelin's
 * `MerkleProof.multiProofVerify` (and RoyaltySplitter.claimMultiproof) consumes:
 *
 *   the verifier keeps a queue that starts with `leaves` (in the given order) and receives each
 *   computed node; step k pops a = the queue's front and b = the queue's next node when
 *   `proofFlags[k]`, else the next `proof` hash, and pushes hash(a, b) (sorted pair). The last
 *   node computed (or the single leaf, or proof[0] when there are no leaves) is the root.
 *
 * The generator walks the tree level by level in index order: two known siblings make a `true`
 * step, a known node with an unknown sibling a `false` step (the sibling joins `proof`).
 * merkletreejs promotes an odd last node unchanged; a known node that is promoted skips levels and
 * so can come out of the queue in the wrong place. Leaves then cannot be ordered for a FIFO
 * verifier in general (e.g. all leaves of a 5-leaf tree), so the generator checks the queue order
 * it built and throws `MerkleMultiProofUnsupportedError` instead of returning a proof that fails:
 * callers fall back to one proof per leaf. Index sets away from the tree's right edge never hit this.
 */
import { bytesToHex, type Hex } from "viem";
import { MerkleLeafIndexOutOfRangeError, MerkleMultiProofUnsupportedError } from "./errors";
import type { FlatMerkleTree } from "./tree";

const NODE = 32;

export interface MultiProof {
  /** Leaf indices, in the order the verifier consumes them (ascending). */
  readonly indices: number[];
  /** The leaf hashes at `indices`, same order. */
  readonly leaves: Hex[];
  readonly proof: Hex[];
  readonly proofFlags: boolean[];
}

/**
 * The multiproof of the leaves at `indices` (any order, duplicates ignored).
 * @throws MerkleLeafIndexOutOfRangeError, MerkleMultiProofUnsupportedError
 * @example const { indices, proof, proofFlags } = multiProof(tree, [6, 7, 8])
 */
export function multiProof(tree: FlatMerkleTree, indices: readonly number[]): MultiProof {
  const { layers, leafCount } = tree;
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= leafCount) throw new MerkleLeafIndexOutOfRangeError(i, leafCount);
  }
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  if (sorted.length === 0) throw new MerkleMultiProofUnsupportedError("no leaves");
  const proof: Hex[] = [];
  const proofFlags: boolean[] = [];
  // Nodes in the order they enter the verifier's queue, and what each step takes out of it, as "level:index".
  const produced: string[] = sorted.map((i) => `0:${i}`);
  const consumed: string[][] = [];
  let known = sorted;
  for (let level = 0; level < layers.length - 1; level++) {
    const count = layers[level].length / NODE;
    const next: number[] = [];
    for (let k = 0; k < known.length; k++) {
      const i = known[k];
      if (i === count - 1 && count % 2 === 1) {
        next.push(i >> 1); // promoted: no step at this level, it stays in the queue
        continue;
      }
      const sibling = i ^ 1;
      if (known[k + 1] === sibling) {
        consumed.push([key(level, i), key(level, sibling)]);
        proofFlags.push(true);
        k++;
      } else {
        consumed.push([key(level, i)]);
        proof.push(bytesToHex(layers[level].subarray(sibling * NODE, (sibling + 1) * NODE)));
        proofFlags.push(false);
      }
      produced.push(key(level + 1, i >> 1));
      next.push(i >> 1);
    }
    // A promoted node keeps its key from the level where it was produced: rename it for this level.
    known = next;
    renamePromoted(produced, level, count);
  }
  if (!queueOrderHolds(produced, consumed)) {
    throw new MerkleMultiProofUnsupportedError("a promoted (odd last) node breaks the verifier's queue order");
  }
  return { indices: sorted, leaves: sorted.map((i) => tree.leaf(i)), proof, proofFlags };
}

function key(level: number, index: number): string {
  return `${level}:${index}`;
}

/** Records that the last node of an odd layer becomes the last node of the next layer unchanged. */
function renamePromoted(produced: string[], level: number, count: number): void {
  if (count % 2 === 0) return;
  const at = produced.lastIndexOf(key(level, count - 1));
  if (at >= 0) produced[at] = key(level + 1, (count - 1) >> 1);
}

/**
 * Whether the steps take nodes out of the queue in the order they went in. The two nodes of one step
 * may come in either order: the pair hash is commutative. The root, produced last, is never taken.
 */
function queueOrderHolds(produced: readonly string[], consumed: readonly string[][]): boolean {
  let at = 0;
  for (const step of consumed) {
    const next = produced.slice(at, at + step.length);
    if (next.length !== step.length || !step.every((node) => next.includes(node))) return false;
    at += step.length;
  }
  return at === produced.length - 1;
}
