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
const LOWER_RE = /^0x[0-9a-f]{40}$/;
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
  let position = 0;
  for (const value of values) {
    const account = normalizeAddress(value.account, position, "account");
    const token = normalizeAddress(value.token, position, "token");
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

  const accounts: Address[] = new Array(position);
  const tokens: Address[] = new Array(position);
  const amounts: bigint[] = new Array(position);
  const tokenTotals: TokenTotal[] = [];
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
      accounts[next] = group.accounts[i];
      tokens[next] = token;
      amounts[next] = group.amounts[i];
      total += group.amounts[i];
      next++;
    }
    tokenTotals.push({ token, total, start, end: next });
  }
  return { length: position, accounts, tokens, amounts, tokenTotals };
}

function normalizeAddress(address: string, position: number, field: string): Address {
  if (typeof address !== "string" || !ADDRESS_RE.test(address)) {
    throw new MerkleInvalidLeafError(position, `${field} is not a 20-byte 0x address`);
  }
  if (LOWER_RE.test(address) || UPPER_RE.test(address)) return address.toLowerCase() as Address;
  if (!isAddress(address, { strict: true })) {
    throw new MerkleInvalidLeafError(position, `${field} has an invalid EIP-55 checksum`);
  }
  return address.toLowerCase() as Address;
}

/**
 * Indices of `accounts` in ascending order. A native Float64Array sort on (32-bit prefix, index)
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
  for (let i = 0; i < n; i++) keys[i] = parseInt(accounts[i].slice(2, 10), 16) * INDEX_BITS + i;
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
