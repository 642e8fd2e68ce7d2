/**
 * The checks a watcher runs on one proposed root, against the distribution file it fetched itself. Parsing,
 * hashing and the tree are offchain/merkle's reader (the same code the service writes with); this module only
 * compares what the reader rebuilt with what the chain says.
 */
import type { Address, Hex } from "viem";
import {
  createIncrementalKeccak,
  DistributionFileInvalidError,
  readDistributionFile,
  type Distribution,
  type ReadDistributionFile,
} from "../merkle";
import type { DistributionSource, FileRequest } from "./sources";

/** A RootProposed log as the watcher needs it. */
export type Proposal = {
  epoch: number;
  root: Hex;
  contentHash: Hex;
  readyAt: number;
  totals: readonly { token: Address; total: bigint }[];
  blockNumber: bigint;
  /** Timestamp of the proposal's block (chain time). */
  proposedAt: number;
};

/**
 * `file-available`: no source had the file by the deadline. `content-hash`: files were found but none hashes to
 * the committed contentHash. `file-format`: the committed file is not a valid canonical distribution file.
 * `header`: chain id, contract or epoch in the header differ from the proposal's. `root`: the rebuilt root is not
 * the proposed one. `totals`: Σ leaves of a token ≠ the total the proposal declares. `token-declared`: a token has
 * leaves but the proposal does not declare it (the contract keeps the old total, so the leaves are paid from
 * other deposits). `monotonic`: a leaf's cumulative is below its value in the previous claimable epoch.
 * `previous-file`: the previous claimable epoch's file is unavailable, so `monotonic` could not run (alert only).
 */
export type CheckName =
  | "file-available"
  | "content-hash"
  | "file-format"
  | "header"
  | "root"
  | "totals"
  | "token-declared"
  | "monotonic"
  | "previous-file";

export type LeafRef = { index: number; account: Address; token: Address; cumulativeAmount: string };

export type CheckFailure = { check: CheckName; message: string; leaf?: LeafRef; veto: boolean };

export type Fetched =
  | { kind: "found"; read: ReadDistributionFile; source: string }
  | { kind: "tampered"; failure: CheckFailure }
  | { kind: "invalid"; failure: CheckFailure }
  | { kind: "missing" };

/** Hashes every byte that passes, whatever the consumer does with them. */
function hashing(input: AsyncIterable<Uint8Array>, update: (chunk: Uint8Array) => void) {
  const iterator = input[Symbol.asyncIterator]();
  return {
    stream: {
      [Symbol.asyncIterator]: () => ({
        async next() {
          const r = await iterator.next();
          if (!r.done) update(r.value);
          return r;
        },
      }),
    } as AsyncIterable<Uint8Array>,
    async drain() {
      for (let r = await iterator.next(); !r.done; r = await iterator.next()) update(r.value);
    },
  };
}

/**
 * Asks each source in turn for the file of `req`; the first whose bytes hash to `req.contentHash` wins. A file
 * with the committed hash that the reader rejects is `invalid` (the poster committed to a broken file); files
 * that were found but all hash to something else are `tampered`.
 */
export async function fetchCommittedFile(sources: readonly DistributionSource[], req: FileRequest): Promise<Fetched> {
  const mismatches: string[] = [];
  for (const source of sources) {
    const body = await source.open(req).catch(() => undefined);
    if (body === undefined) continue;
    const keccak = await createIncrementalKeccak();
    const h = hashing(body, (c) => keccak.update(c));
    let read: ReadDistributionFile | undefined;
    let invalid: DistributionFileInvalidError | undefined;
    try {
      read = await readDistributionFile(h.stream);
    } catch (e) {
      // Anything but the reader's own verdict means the transfer broke off: try the next source.
      if (!(e instanceof DistributionFileInvalidError)) continue;
      invalid = e;
      await h.drain().catch(() => undefined);
    }
    const hash = keccak.digest();
    if (hash !== req.contentHash.toLowerCase()) {
      mismatches.push(`${source.name}: ${hash}`);
      continue;
    }
    if (invalid) {
      return {
        kind: "invalid",
        failure: { check: "file-format", message: `committed file is invalid: ${invalid.message}`, veto: true },
      };
    }
    return { kind: "found", read: read!, source: source.name };
  }
  if (mismatches.length === 0) return { kind: "missing" };
  return {
    kind: "tampered",
    failure: {
      check: "content-hash",
      message: `no file hashes to the committed contentHash ${req.contentHash} (found ${mismatches.join(", ")})`,
      veto: true,
    },
  };
}

const leafAt = (d: Distribution, index: number): LeafRef => ({
  index,
  account: d.leaves.accounts[index],
  token: d.leaves.tokens[index],
  cumulativeAmount: d.leaves.amounts[index].toString(),
});

export type Expectation = { chainId: number; splitter: Address };

/**
 * Compares a committed file (already known to hash to the proposal's contentHash) with the proposal.
 * @param previous the previous claimable epoch's distribution; "none" before the first root, "unavailable"
 *   when its file could not be fetched.
 */
export function checkDistribution(
  proposal: Proposal,
  read: ReadDistributionFile,
  expect: Expectation,
  previous: Distribution | "none" | "unavailable",
): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const d = read.distribution;
  const h = read.header;
  const wrong: string[] = [];
  if (h.chainId !== expect.chainId) wrong.push(`chainId ${h.chainId} (expected ${expect.chainId})`);
  if (h.contract.toLowerCase() !== expect.splitter.toLowerCase())
    wrong.push(`contract ${h.contract} (expected ${expect.splitter.toLowerCase()})`);
  if (h.epoch !== BigInt(proposal.epoch)) wrong.push(`epoch ${h.epoch} (expected ${proposal.epoch})`);
  if (wrong.length > 0) failures.push({ check: "header", message: `header: ${wrong.join(", ")}`, veto: true });

  if (d.root.toLowerCase() !== proposal.root.toLowerCase()) {
    failures.push({ check: "root", message: `rebuilt root ${d.root} ≠ proposed root ${proposal.root}`, veto: true });
  }

  const declared = new Map(proposal.totals.map((t) => [t.token.toLowerCase(), t.total]));
  const inLeaves = new Map(d.tokenTotals.map((t) => [t.token.toLowerCase(), t.total]));
  for (const [token, sum] of inLeaves) {
    const total = declared.get(token);
    const first = firstLeafOver(d, token, total ?? -1n);
    if (total === undefined) {
      failures.push({
        check: "token-declared",
        message: `token ${token} has leaves summing to ${sum} but the proposal does not declare it`,
        leaf: leafAt(d, first),
        veto: true,
      });
    } else if (sum !== total) {
      failures.push({
        check: "totals",
        message: `token ${token}: leaves sum to ${sum}, the proposal declares ${total}`,
        // Over-allocation: the leaf at which the running sum passes the declared total.
        leaf: sum > total ? leafAt(d, first) : undefined,
        veto: true,
      });
    }
  }
  for (const [token, total] of declared) {
    if (!inLeaves.has(token) && total !== 0n) {
      failures.push({
        check: "totals",
        message: `token ${token}: the proposal declares ${total} but the file has no leaf of it`,
        veto: true,
      });
    }
  }

  if (previous === "unavailable") {
    failures.push({
      check: "previous-file",
      message: "the previous claimable epoch's file is unavailable: cumulative amounts not compared",
      veto: false,
    });
  } else if (previous !== "none") {
    const lowered = firstLoweredLeaf(previous, d);
    if (lowered) failures.push(lowered);
  }
  return failures;
}

/** First leaf (canonical order) of `token` at which the running sum exceeds `limit` (the first leaf if limit < 0). */
function firstLeafOver(d: Distribution, token: string, limit: bigint): number {
  let sum = 0n;
  let first = -1;
  for (let i = 0; i < d.leafCount; i++) {
    if (d.leaves.tokens[i] !== token) continue;
    if (first < 0) first = i;
    sum += d.leaves.amounts[i];
    if (sum > limit) return i;
  }
  return first;
}

function firstLoweredLeaf(previous: Distribution, d: Distribution): CheckFailure | undefined {
  for (let i = 0; i < previous.leafCount; i++) {
    const account = previous.leaves.accounts[i];
    const token = previous.leaves.tokens[i];
    const before = previous.leaves.amounts[i];
    const index = d.indexOf(account, token);
    const now = index < 0 ? 0n : d.leaves.amounts[index];
    if (now < before) {
      return {
        check: "monotonic",
        message: `leaf (${account}, ${token}): cumulative ${now} is below ${before} in epoch ${previous.epoch}`,
        leaf: index < 0 ? { index: -1, account, token, cumulativeAmount: "0" } : leafAt(d, index),
        veto: true,
      };
    }
  }
  return undefined;
}
