/**
 * Canonical leaf order of a distribution, so that anyone rebuilding from the same allocations (in any
 * order) gets the same root and the same distribution-file bytes.
 *
 * Rule: addresses are lower-cased; leaves are sorted by `token` ascending, then by `account`
 * ascending, comparing the 20-byte addresses as unsigned big-endian numbers (which is the same as
 * comparing their lower-case hex). A second leaf for the same (account, token) is rejected, never
 * summed. Per-token totals are the sums of `cumulativeAmount` over each token's leaves.
 */
import { isAddress, type Address } from "viem";
import { MerkleDuplicateLeafError, MerkleInvalidLeafError } from "./errors";
import { MAX_UINT256, type LeafValue } from "./leaf";

/** Leaves in canonical order, as parallel arrays (1M leaf objects would cost far more memory). */
export interface CanonicalLeaves {
  readonly length: number;
  /** Lower-case `0x` addresses. */
  readonly accounts: readonly Address[];
  readonly tokens: readonly Address[];
  readonly amounts: readonly bigint[];
  /**
   * The accounts again as ASCII, 42 bytes per leaf ("0x" + 40 hex), in a SharedArrayBuffer: the hot
   * loops (leaf hashing on two threads, file writing) read these bytes in order instead of chasing a
   * million string objects scattered over the heap.
   */
  readonly accountsAscii: Buffer;
  /** One entry per token, tokens ascending; `start`/`end` delimit its leaves (end exclusive). */
  readonly tokenTotals: readonly TokenTotal[];
}

export interface TokenTotal {
  readonly token: Address;
  readonly total: bigint;
  readonly start: number;
  readonly end: number;
}

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;
const UPPER_RE = /^0x[0-9A-F]{40}$/;
// A group's local index fits in 21 bits, so (32-bit account prefix, index) packs exactly into a double.
const INDEX_BITS = 2 ** 21;

/**
 * Validates addresses and amounts and returns the leaves in canonical order. Mixed-case addresses
 * must carry a valid EIP-55 checksum; all-lower and all-upper case are accepted.
 * @throws MerkleInvalidLeafError, MerkleDuplicateLeafError
 */
export function canonicalizeLeaves(values: Iterable<LeafValue>): CanonicalLeaves {
  const byToken = new Map<Address, { accounts: Address[]; amounts: bigint[] }>();
  // Few distinct token strings recur on every leaf: validate each once.
  const tokenSeen = new Map<string, Address>();
  let position = 0;
  for (const value of values) {
    const account = normalizeAddress(value.account, position, "account");
    let token = tokenSeen.get(value.token);
    if (token === undefined) tokenSeen.set(value.token, (token = normalizeAddress(value.token, position, "token")));
    const amount = value.cumulativeAmount;
    if (typeof amount !== "bigint" || amount < 0n || amount > MAX_UINT256) {
      throw new MerkleInvalidLeafError(position, "cumulativeAmount must be a bigint in [0, 2^256-1]");
    }
    let group = byToken.get(token);
    if (group === undefined) byToken.set(token, (group = { accounts: [], amounts: [] }));
    group.accounts.push(account);
    group.amounts.push(amount);
    position++;
  }

  // Filled with push: `new Array(n)` above ~100k elements starts in slow dictionary mode in V8.
  const accounts: Address[] = [];
  const tokens: Address[] = [];
  const amounts: bigint[] = [];
  const tokenTotals: TokenTotal[] = [];
  const accountsAscii = allocateAscii(position);
  let next = 0;
  for (const token of [...byToken.keys()].sort()) {
    const group = byToken.get(token)!;
    const order = sortedOrder(group.accounts);
    const start = next;
    let total = 0n;
    for (let k = 0; k < order.length; k++) {
      const i = order[k];
      if (k > 0 && group.accounts[i] === accounts[next - 1]) {
        throw new MerkleDuplicateLeafError(group.accounts[i], token);
      }
      accounts.push(group.accounts[i]);
      accountsAscii.write(group.accounts[i], ASCII_ADDRESS * next, ASCII_ADDRESS, "latin1");
      tokens.push(token);
      amounts.push(group.amounts[i]);
      total += group.amounts[i];
      next++;
    }
    tokenTotals.push({ token, total, start, end: next });
  }
  return { length: position, accounts, tokens, amounts, accountsAscii, tokenTotals };
}

/** Bytes per account in `accountsAscii`. */
export const ASCII_ADDRESS = 42;

/** `accountsAscii` for validated lower-case accounts already in canonical order. */
export function packAccounts(accounts: readonly string[]): Buffer {
  const ascii = allocateAscii(accounts.length);
  for (let i = 0; i < accounts.length; i++) ascii.write(accounts[i], ASCII_ADDRESS * i, ASCII_ADDRESS, "latin1");
  return ascii;
}

function allocateAscii(n: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(Math.max(1, n * ASCII_ADDRESS)), 0, n * ASCII_ADDRESS);
}

function normalizeAddress(address: string, position: number, field: string): Address {
  if (isLowerHexAddress(address)) return address as Address;
  if (typeof address !== "string" || !ADDRESS_RE.test(address)) {
    throw new MerkleInvalidLeafError(position, `${field} is not a 20-byte 0x address`);
  }
  if (UPPER_RE.test(address)) return address.toLowerCase() as Address;
  if (!isAddress(address, { strict: true })) {
    throw new MerkleInvalidLeafError(position, `${field} has an invalid EIP-55 checksum`);
  }
  return address.toLowerCase() as Address;
}

// Same as /^0x[0-9a-f]{40}$/ but ~4× faster on the hot path (2M addresses per 1M leaves).
function isLowerHexAddress(s: unknown): boolean {
  if (typeof s !== "string" || s.length !== 42 || s.charCodeAt(0) !== 48 || s.charCodeAt(1) !== 120) return false;
  for (let i = 2; i < 42; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

// First 4 bytes of a validated lower-case address, as a number (no substring allocation).
function prefix32(s: string): number {
  let v = 0;
  for (let i = 2; i < 10; i++) {
    const c = s.charCodeAt(i);
    v = v * 16 + (c <= 57 ? c - 48 : c - 87);
  }
  return v;
}

/**
 * Indices of `accounts` (validated lower-case addresses) in ascending order. A native Float64Array sort on (32-bit prefix, index)
 * keys is ~3× faster than a comparator sort on 1M strings; runs sharing a prefix are then ordered
 * by the full address.
 */
export function sortedOrder(accounts: readonly string[]): Uint32Array {
  const n = accounts.length;
  const order = new Uint32Array(n);
  if (n > INDEX_BITS) {
    const indices = Array.from({ length: n }, (_, i) => i);
    indices.sort((a, b) => compareStrings(accounts[a], accounts[b]));
    order.set(indices);
    return order;
  }
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = prefix32(accounts[i]) * INDEX_BITS + i;
  keys.sort();
  for (let i = 0; i < n; i++) order[i] = keys[i] % INDEX_BITS;
  let runStart = 0;
  for (let i = 1; i <= n; i++) {
    if (i < n && Math.floor(keys[i] / INDEX_BITS) === Math.floor(keys[runStart] / INDEX_BITS)) continue;
    if (i - runStart > 1) {
      const run = Array.from(order.subarray(runStart, i)).sort((a, b) => compareStrings(accounts[a], accounts[b]));
      order.set(run, runStart);
    }
    runStart = i;
  }
  return order;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
