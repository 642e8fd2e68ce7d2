/**
 * A Merkle tree with exactly merkletreejs's shape under `{ sortPairs: true }` (and no other option),
 * built on flat byte buffers:
 * - layer 0 is the leaves in the given order (not re-sorted);
 * - each next layer hashes pairs (0,1), (2,3), … with the sorted-pair keccak of `leaf.ts`;
 * - an odd last node is promoted unchanged to the next layer (not hashed, not duplicated);
 * - the root is the single node of the last layer (a one-leaf tree's root is the leaf).
 * A proof for leaf index i lists, per layer, the sibling i^1 when it exists (a promoted node has
 * none), so proofs have variable length — OpenZeppelin's `MerkleProof` accepts that.
 *
 * Empty trees are refused (`MerkleEmptyTreeError`): merkletreejs would return an empty root, which
 * RoyaltySplitter cannot use and which no claim could ever match.
 */
import { bytesToHex, type Hex } from "viem";
import { MerkleEmptyTreeError, MerkleLeafIndexOutOfRangeError } from "./errors";
import { createFastKeccak256, type FastKeccak256 } from "./leaf";

const NODE = 32;

export interface FlatMerkleTree {
  readonly leafCount: number;
  /** Layers from leaves to root, each `nodes × 32` bytes. Read-only by contract. */
  readonly layers: readonly Uint8Array[];
  /** The root as bytes (a view into the last layer). */
  readonly rootBytes: Uint8Array;
  readonly root: Hex;
  /** The leaf hash at `index`. */
  leaf(index: number): Hex;
  /** Sibling hashes from leaf `index` to the root, in O(log N). */
  proof(index: number): Hex[];
}

/**
 * Builds the tree over `leafHashes` (N × 32 bytes, already in canonical order).
 * @param leafHashes flat leaf hashes; kept as layer 0 without copying.
 * @param keccak optional hasher to reuse across builds.
 */
export async function buildMerkleTree(leafHashes: Uint8Array, keccak?: FastKeccak256): Promise<FlatMerkleTree> {
  return buildMerkleTreeSync(leafHashes, keccak ?? (await createFastKeccak256()));
}

/** Synchronous form of `buildMerkleTree`, for callers that already hold a hasher. */
export function buildMerkleTreeSync(leafHashes: Uint8Array, keccak: FastKeccak256): FlatMerkleTree {
  if (leafHashes.length % NODE !== 0) throw new RangeError("leafHashes must be a multiple of 32 bytes");
  const leafCount = leafHashes.length / NODE;
  if (leafCount === 0) throw new MerkleEmptyTreeError();

  const layers: Uint8Array[] = [leafHashes];
  const pair = new Uint8Array(2 * NODE);
  let nodes = leafHashes;
  let count = leafCount;
  while (count > 1) {
    const parentCount = Math.ceil(count / 2);
    const parents = new Uint8Array(parentCount * NODE);
    const pairs = count >>> 1;
    for (let p = 0; p < pairs; p++) {
      const left = 2 * p * NODE;
      const right = left + NODE;
      if (compareNodes(nodes, left, right) <= 0) {
        pair.set(nodes.subarray(left, left + 2 * NODE), 0);
      } else {
        pair.set(nodes.subarray(right, right + NODE), 0);
        pair.set(nodes.subarray(left, left + NODE), NODE);
      }
      keccak.hashInto(pair, parents, p * NODE);
    }
    if (count % 2 === 1) parents.set(nodes.subarray((count - 1) * NODE, count * NODE), pairs * NODE);
    layers.push(parents);
    nodes = parents;
    count = parentCount;
  }
  return createFlatMerkleTree(layers);
}

function createFlatMerkleTree(layers: Uint8Array[]): FlatMerkleTree {
  const leafCount = layers[0].length / NODE;
  const rootBytes = layers[layers.length - 1].subarray(0, NODE);
  const checkIndex = (index: number) => {
    if (!Number.isInteger(index) || index < 0 || index >= leafCount) {
      throw new MerkleLeafIndexOutOfRangeError(index, leafCount);
    }
  };
  return {
    leafCount,
    layers,
    rootBytes,
    root: bytesToHex(rootBytes),
    leaf(index) {
      checkIndex(index);
      return bytesToHex(layers[0].subarray(index * NODE, (index + 1) * NODE));
    },
    proof(index) {
      checkIndex(index);
      const proof: Hex[] = [];
      let i = index;
      for (let level = 0; level < layers.length - 1; level++) {
        const sibling = i ^ 1;
        if (sibling * NODE < layers[level].length) {
          proof.push(bytesToHex(layers[level].subarray(sibling * NODE, (sibling + 1) * NODE)));
        }
        i >>>= 1;
      }
      return proof;
    },
  };
}

// Byte comparison of two 32-byte nodes of one buffer (Buffer.compare needs Buffers, and views cost allocations).
function compareNodes(buf: Uint8Array, a: number, b: number): number {
  for (let k = 0; k < NODE; k++) {
    const d = buf[a + k] - buf[b + k];
    if (d !== 0) return d;
  }
  return 0;
}
