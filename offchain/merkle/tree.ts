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
import { createKeccakHasher, type KeccakHasher } from "./leaf";

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
 * @param hasher optional keccak256 hasher to reuse across builds.
 */
export async function buildMerkleTree(leafHashes: Uint8Array, hasher?: KeccakHasher): Promise<FlatMerkleTree> {
  return buildMerkleTreeSync(leafHashes, hasher ?? (await createKeccakHasher()));
}

/** Synchronous form of `buildMerkleTree`, for callers that already hold a hasher. */
export function buildMerkleTreeSync(leafHashes: Uint8Array, hasher: KeccakHasher): FlatMerkleTree {
  const layers = allocateLayers(leafHashes);
  for (let level = 1; level < layers.length; level++) {
    const count = layers[level - 1].length / NODE;
    hashLayerRange(hasher, layers[level - 1], count, layers[level], 0, Math.ceil(count / 2));
  }
  return createFlatMerkleTree(layers);
}

/**
 * Layer 0 is `leafHashes`; the others are zeroed buffers of ceil(count / 2) nodes each, backed by
 * SharedArrayBuffers when `shared` (so a worker thread can fill part of them).
 */
export function allocateLayers(leafHashes: Uint8Array, shared = false): Uint8Array[] {
  if (leafHashes.length % NODE !== 0) throw new RangeError("leafHashes must be a multiple of 32 bytes");
  let count = leafHashes.length / NODE;
  if (count === 0) throw new MerkleEmptyTreeError();
  const layers = [leafHashes];
  while (count > 1) {
    count = Math.ceil(count / 2);
    layers.push(new Uint8Array(shared ? new SharedArrayBuffer(count * NODE) : new ArrayBuffer(count * NODE)));
  }
  return layers;
}

/**
 * Computes parents [fromParent, toParent) of a layer of `count` nodes: parent p hashes the sorted
 * pair (2p, 2p+1), or is node 2p unchanged when 2p is the odd last node (merkletreejs's promotion).
 * Self-contained — it references nothing outside its body — because parallel-tree.ts ships its
 * source text to a worker thread.
 */
export function hashLayerRange(
  hasher: KeccakHasher,
  nodes: Uint8Array,
  count: number,
  parents: Uint8Array,
  fromParent: number,
  toParent: number,
): void {
  const pair = new Uint8Array(64);
  for (let p = fromParent; p < toParent; p++) {
    const left = 64 * p;
    if (2 * p + 1 >= count) {
      parents.set(nodes.subarray(left, left + 32), 32 * p);
      continue;
    }
    const right = left + 32;
    let order = 0;
    for (let k = 0; k < 32 && order === 0; k++) order = nodes[left + k] - nodes[right + k];
    // Byte loops instead of subarray views: 500k pairs per 1M leaves, and views are allocations.
    const lo = order <= 0 ? left : right;
    const hi = order <= 0 ? right : left;
    for (let k = 0; k < 32; k++) {
      pair[k] = nodes[lo + k];
      pair[32 + k] = nodes[hi + k];
    }
    hasher.init();
    hasher.update(pair);
    parents.set(hasher.digest("binary"), 32 * p);
  }
}

/** Wraps filled layers (leaves first, root last) as a tree. */
export function createFlatMerkleTree(layers: Uint8Array[]): FlatMerkleTree {
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
