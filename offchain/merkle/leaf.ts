/**
 * THE leaf encoding of Tributary's Merkle distribution, used by the builder, the API, the CLI, the
 * web page and the tests. RoyaltySplitter verifies exactly this with OpenZeppelin's `MerkleProof`
 * (sorted pairs):
 *
 *   leaf = keccak256(bytes.concat(keccak256(abi.encode(address account, address token, uint256 cumulativeAmount))))
 *
 * which is `@openzeppelin/merkle-tree`'s StandardMerkleTree leaf with encoding
 * `["address", "address", "uint256"]`; inner nodes are `keccak256(min(a, b) ++ max(a, b))`.
 *
 * The reference functions use viem. `createFastLeafHasher` is a benchmark fast path (hash-wasm keccak,
 * one reused hasher and buffer) that tests prove byte-identical to the reference.
 */
import { createKeccak } from "hash-wasm";
import { encodeAbiParameters, keccak256, isHex, type Address, type Hex } from "viem";

/** One entry of a distribution: `account` may claim up to `cumulativeAmount` base units of `token`. */
export interface LeafValue {
  readonly account: Address;
  readonly token: Address;
  readonly cumulativeAmount: bigint;
}

/** The Solidity types of a leaf, in order, as `@openzeppelin/merkle-tree` names them. */
export const LEAF_ENCODING = ["address", "address", "uint256"] as const;

/** Largest amount a leaf can carry (uint256). */
export const MAX_UINT256 = (1n << 256n) - 1n;

const LEAF_ABI = [{ type: "address" }, { type: "address" }, { type: "uint256" }] as const;

/** `abi.encode(account, token, cumulativeAmount)`: three 32-byte words, 96 bytes. */
export function encodeLeaf(value: LeafValue): Hex {
  return encodeAbiParameters(LEAF_ABI, [value.account, value.token, value.cumulativeAmount]);
}

/** Reference leaf hash (viem): double keccak of the ABI encoding. */
export function leafHash(value: LeafValue): Hex {
  return keccak256(keccak256(encodeLeaf(value), "bytes"));
}

/** Sorted-pair node hash, as OpenZeppelin's `MerkleProof` and merkletreejs with `sortPairs` compute it. */
export function hashPair(a: Hex, b: Hex): Hex {
  const [lo, hi] = BigInt(a) <= BigInt(b) ? [a, b] : [b, a];
  return keccak256(`0x${lo.slice(2)}${hi.slice(2)}`);
}

/** Folds a proof onto a leaf hash; the result is the root the proof claims. */
export function processProof(leaf: Hex, proof: readonly Hex[]): Hex {
  let node = leaf;
  for (const sibling of proof) node = hashPair(node, sibling);
  return node;
}

/**
 * Checks a proof the way RoyaltySplitter does, for auditors and claimants.
 * @param root the published root.
 * @param leafOrValue a 32-byte leaf hash, or the leaf's values (hashed here with `leafHash`).
 * @param proof sibling hashes from leaf to root.
 * @returns whether the proof leads to `root`.
 * @example verifyProof(root, { account, token, cumulativeAmount: 10n }, proof)
 */
export function verifyProof(root: Hex, leafOrValue: Hex | LeafValue, proof: readonly Hex[]): boolean {
  const leaf = typeof leafOrValue === "string" ? leafOrValue : leafHash(leafOrValue);
  if (!isBytes32(root) || !isBytes32(leaf) || !proof.every(isBytes32)) return false;
  return BigInt(processProof(leaf, proof)) === BigInt(root);
}

function isBytes32(value: string): value is Hex {
  return isHex(value, { strict: true }) && value.length === 66;
}

/** A keccak256 that writes its digest into a caller's buffer, reusing one wasm hasher. */
export interface FastKeccak256 {
  hashInto(data: Uint8Array, out: Uint8Array, outOffset: number): void;
}

/** Creates a hash-wasm keccak256 (its own wasm instance, so concurrent users never interleave). */
export async function createFastKeccak256(): Promise<FastKeccak256> {
  const hasher = await createKeccak(256);
  return {
    hashInto(data, out, outOffset) {
      hasher.init();
      hasher.update(data);
      out.set(hasher.digest("binary"), outOffset);
    },
  };
}

/** Hashes leaves from already-validated parts (see `canonical.ts`) into a flat buffer. */
export interface FastLeafHasher {
  /**
   * Writes the leaf hash of (account, token, amount) at `out[outOffset..outOffset+32]`.
   * @dev Warning: inputs must already be validated: `account`/`token` as `0x` + 40 hex digits and
   * `amount` in [0, 2^256-1]; hex decoding stops silently at a bad digit.
   */
  hashLeafInto(account: string, token: string, amount: bigint, out: Uint8Array, outOffset: number): void;
}

/** Fast path of `leafHash`: the 96-byte word layout packed into one reused buffer. */
export async function createFastLeafHasher(): Promise<FastLeafHasher> {
  const keccak = await createFastKeccak256();
  // Word layout of abi.encode(address, address, uint256): 12 zero bytes + account, 12 zero bytes + token, amount.
  const encoded = Buffer.alloc(96);
  const inner = new Uint8Array(32);
  return {
    hashLeafInto(account, token, amount, out, outOffset) {
      encoded.write(account.slice(2), 12, 20, "hex");
      encoded.write(token.slice(2), 44, 20, "hex");
      encoded.write(amount.toString(16).padStart(64, "0"), 64, 32, "hex");
      keccak.hashInto(encoded, inner, 0);
      keccak.hashInto(inner, out, outOffset);
    },
  };
}
