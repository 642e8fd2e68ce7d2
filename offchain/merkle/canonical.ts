/**
 * Canonical leaf order of a distribution, so that anyone rebuilding from the same allocations (in any
 * order) gets the same root and the same distribution-file bytes.
 *
 * Rule: addresses are lower-cased; leaves are sorted by `account` ascending, then by `token`
 * ascending, comparing the 20-byte addresses as unsigned big-endian numbers (which is the same as
 * comparing their lower-case hex). An account's leaves are thus adjacent in the tree, so one
 * multiproof (RoyaltySplitter.claimMultiproof) covers all its tokens with few more hashes than one
 * proof. A second leaf for the same (account, token) is rejected, never summed. Per-token totals are
 * the sums of `cumulativeAmount` over each token's leaves, across the whole list.
 */
import { isAddress, type Address } from "viem";
import { MerkleDuplicateLeafError, MerkleInvalidLeafError } from "./errors";
import { ASCII_ADDRESS, compareRecords, sortAccountRecords } from "./account-sort";
import { MAX_UINT256, type LeafValue } from "./leaf";

export { ASCII_ADDRESS };

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
  /** Per leaf, the position of its token in `tokenTotals` (in a SharedArrayBuffer, like `accountsAscii`). */
  readonly tokenIndex: Uint32Array;
  /** One entry per token that has leaves, tokens ascending. */
  readonly tokenTotals: readonly TokenTotal[];
}

export interface TokenTotal {
  readonly token: Address;
  readonly total: bigint;
}

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;
const UPPER_RE = /^0x[0-9A-F]{40}$/;

/**
 * Validates addresses and amounts and returns the leaves in canonical order. Mixed-case addresses
 * must carry a valid EIP-55 checksum; all-lower and all-upper case are accepted.
 * @throws MerkleInvalidLeafError, MerkleDuplicateLeafError
 */
export function canonicalizeLeaves(values: Iterable<LeafValue>): CanonicalLeaves {
  // One sequential pass in input order; later passes touch flat buffers and arrays of references,
  // never the (heap-scattered) input objects or strings again.
  const inputAccounts: Address[] = [];
  const inputAmounts: bigint[] = [];
  const inputGroups: number[] = [];
  let inputAscii = Buffer.allocUnsafe(ASCII_ADDRESS * 1024);
  const groups: { token: Address; count: number; total: bigint }[] = [];
  const groupOfToken = new Map<Address, number>();
  // Few distinct token strings recur on every leaf: validate each once.
  const groupOfRawToken = new Map<string, number>();
  let n = 0;
  for (const value of values) {
    const account = normalizeAddress(value.account, n, "account");
    let group = groupOfRawToken.get(value.token);
    if (group === undefined) {
      const token = normalizeAddress(value.token, n, "token");
      group = groupOfToken.get(token);
      if (group === undefined) {
        groupOfToken.set(token, (group = groups.length));
        groups.push({ token, count: 0, total: 0n });
      }
      groupOfRawToken.set(value.token, group);
    }
    const amount = value.cumulativeAmount;
    if (typeof amount !== "bigint" || amount < 0n || amount > MAX_UINT256) {
      throw new MerkleInvalidLeafError(n, "cumulativeAmount must be a bigint in [0, 2^256-1]");
    }
    if (ASCII_ADDRESS * (n + 1) > inputAscii.length) {
      const grown = Buffer.allocUnsafe(inputAscii.length * 2);
      inputAscii.copy(grown);
      inputAscii = grown;
    }
    inputAscii.write(account, ASCII_ADDRESS * n, ASCII_ADDRESS, "latin1");
    inputAccounts.push(account);
    inputAmounts.push(amount);
    inputGroups.push(group);
    groups[group].count++;
    groups[group].total += amount;
    n++;
  }

  // Counting sort by token, then a stable sort by account: (account, token) order.
  const byToken = groups.map((g, id) => ({ ...g, id })).sort((x, y) => (x.token < y.token ? -1 : 1));
  const rankOfGroup = new Uint32Array(groups.length);
  const cursor = new Array<number>(groups.length);
  let start = 0;
  byToken.forEach((g, rank) => {
    rankOfGroup[g.id] = rank;
    cursor[g.id] = start;
    start += g.count;
  });
  const tokenTotals: TokenTotal[] = byToken.map((g) => ({ token: g.token, total: g.total }));
  const byGroup = new Uint32Array(n);
  for (let i = 0; i < n; i++) byGroup[cursor[inputGroups[i]]++] = i;
  const { sorted, duplicate } = sortAccountRecords(inputAscii, byGroup);
  if (duplicate >= 0) {
    // Some account has several leaves: a duplicate is a neighbour with the same account and token.
    for (let k = 1; k < n; k++) {
      const a = sorted[k - 1];
      const b = sorted[k];
      if (inputGroups[a] === inputGroups[b] && compareRecords(inputAscii, a, b) === 0) {
        throw new MerkleDuplicateLeafError(inputAccounts[b], groups[inputGroups[b]].token);
      }
    }
  }

  // Filled with push: `new Array(n)` above ~100k elements starts in slow dictionary mode in V8.
  const accounts: Address[] = [];
  const tokens: Address[] = [];
  const amounts: bigint[] = [];
  const accountsAscii = allocateAscii(n);
  const tokenIndex = allocateIndex(n);
  for (let k = 0; k < n; k++) {
    const i = sorted[k];
    const group = inputGroups[i];
    inputAscii.copy(accountsAscii, ASCII_ADDRESS * k, ASCII_ADDRESS * i, ASCII_ADDRESS * (i + 1));
    accounts.push(inputAccounts[i]);
    tokens.push(groups[group].token);
    amounts.push(inputAmounts[i]);
    tokenIndex[k] = rankOfGroup[group];
  }
  return { length: n, accounts, tokens, amounts, accountsAscii, tokenIndex, tokenTotals };
}

/** `tokenIndex` of leaves whose tokens are `tokens`, against the ascending token list `tokenList`. */
export function indexTokens(tokens: readonly string[], tokenList: readonly string[]): Uint32Array {
  const rank = new Map(tokenList.map((t, r) => [t, r]));
  const index = allocateIndex(tokens.length);
  for (let k = 0; k < tokens.length; k++) index[k] = rank.get(tokens[k])!;
  return index;
}

function allocateIndex(n: number): Uint32Array {
  return new Uint32Array(new SharedArrayBuffer(Math.max(1, n) * 4), 0, n);
}

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
