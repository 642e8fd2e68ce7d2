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

/** The part of a hash-wasm keccak256 hasher that the fast paths use. */
export interface KeccakHasher {
  init(): unknown;
  update(data: Uint8Array): unknown;
  digest(outputType: "binary"): Uint8Array;
}

/** A fresh hash-wasm keccak256 hasher (one wasm instance; not to be shared by interleaved users). */
export async function createKeccakHasher(): Promise<KeccakHasher> {
  return createKeccak(256);
}

/**
 * Fast path of `leafHash` for `amounts.length` leaves, written to `out` at `outBase + 32 * k`.
 * @param accounts per leaf "0x" + 40 hex digits, as strings or as ASCII bytes, 42 per leaf (see
 *   `CanonicalLeaves.accountsAscii`; bytes in a SharedArrayBuffer reach a worker thread without a copy).
 * @param tokens the distinct tokens ("0x" + 40 hex digits); each is decoded once.
 * @param tokenIndex per leaf, the position of its token in `tokens`.
 * @dev Warning: inputs must already be validated (see canonical.ts): hex decoding does not check digits.
 * Self-contained — it references nothing outside its body — because parallel-tree.ts ships its
 * source text to a worker thread.
 */
export function hashLeafRange(
  hasher: KeccakHasher,
  accounts: readonly string[] | Uint8Array,
  tokens: readonly string[],
  tokenIndex: ArrayLike<number>,
  amounts: readonly bigint[],
  out: Uint8Array,
  outBase: number,
): void {
  const U64 = 0xffffffffffffffffn;
  // abi.encode(address, address, uint256): 12 zero bytes + account, 12 zero bytes + token, amount.
  const encoded = new Uint8Array(96);
  const words = new DataView(encoded.buffer);
  // The inner digest is copied here before being hashed again: hash-wasm's update() reads `.buffer`,
  // which on the fresh 32-byte array digest() returns would move it off V8's heap, once per leaf.
  const inner = new Uint8Array(32);
  // Hex digit values by character code ("0"-"9", "a"-"f", "A"-"F"); a table beats per-digit branches.
  const hex = new Uint8Array(256);
  for (let c = 0; c < 256; c++)
    hex[c] = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : 0;
  const decodeAddress = (text: string, into: Uint8Array, offset: number) => {
    for (let b = 0; b < 20; b++)
      into[offset + b] = (hex[text.charCodeAt(2 + 2 * b)] << 4) | hex[text.charCodeAt(3 + 2 * b)];
  };
  // Canonical order interleaves tokens (account, then token): decode each token once, copy 20 bytes per leaf.
  const tokenBytes = new Uint8Array(20 * tokens.length);
  for (let t = 0; t < tokens.length; t++) decodeAddress(tokens[t], tokenBytes, 20 * t);
  let lastToken = -1;
  const ascii = accounts instanceof Uint8Array ? accounts : undefined;
  const strings = accounts instanceof Uint8Array ? undefined : accounts;
  for (let k = 0; k < amounts.length; k++) {
    const t = tokenIndex[k];
    if (t !== lastToken) {
      for (let b = 0; b < 20; b++) encoded[44 + b] = tokenBytes[20 * t + b];
      lastToken = t;
    }
    if (ascii !== undefined) {
      const at = 42 * k + 2;
      for (let b = 0; b < 20; b++) encoded[12 + b] = (hex[ascii[at + 2 * b]] << 4) | hex[ascii[at + 1 + 2 * b]];
    } else {
      decodeAddress(strings![k], encoded, 12);
    }
    const amount = amounts[k];
    if (amount <= U64) {
      words.setBigUint64(64, 0n);
      words.setBigUint64(72, 0n);
      words.setBigUint64(80, 0n);
      words.setBigUint64(88, amount);
    } else {
      // Stop at the first zero limb: amounts below 2^128 cost two bigint operations, not eight.
      let rest = amount;
      for (let limb = 88; limb >= 64; limb -= 8) {
        if (rest === 0n) {
          words.setBigUint64(limb, 0n);
          continue;
        }
        words.setBigUint64(limb, BigInt.asUintN(64, rest));
        rest >>= 64n;
      }
    }
    hasher.init();
    hasher.update(encoded);
    inner.set(hasher.digest("binary"));
    hasher.init();
    hasher.update(inner);
    out.set(hasher.digest("binary"), outBase + 32 * k);
  }
}

/** Hashes single leaves from already-validated parts with the fast path. */
export interface FastLeafHasher {
  /**
   * Writes the leaf hash of (account, token, amount) at `out[outOffset..outOffset+32]`.
   * @dev Warning: inputs must already be validated: `account`/`token` as `0x` + 40 hex digits and
   * `amount` in [0, 2^256-1]; hex decoding does not check digits.
   */
  hashLeafInto(account: string, token: string, amount: bigint, out: Uint8Array, outOffset: number): void;
}

/** `hashLeafRange` for one leaf at a time, reusing one hasher. */
export async function createFastLeafHasher(): Promise<FastLeafHasher> {
  const hasher = await createKeccakHasher();
  return {
    hashLeafInto(account, token, amount, out, outOffset) {
      hashLeafRange(hasher, [account], [token], [0], [amount], out, outOffset);
    },
  };
}
