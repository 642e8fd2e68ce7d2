/**
 * The published distribution file, format `tributary-distribution` version 1: canonical NDJSON bytes
 * from which anyone can rebuild the tree and recover every proof (proofs are not stored).
 *
 * Exact bytes (ASCII, every line ends with "\n", no other whitespace, no blank lines):
 *   line 1, the header, a JSON object with exactly these keys in this order:
 *     {"format":"tributary-distribution","version":1,"chainId":<integer>,"contract":"<addr>",
 *      "epoch":"<dec>","root":"<bytes32>","leafCount":<integer>,
 *      "leafFields":["account","token","cumulativeAmount"],
 *      "tokens":[{"token":"<addr>","total":"<dec>"},...],"usageRoot":"<bytes32>"}
 *   then one line per leaf, in canonical order (account, then token, ascending; see canonical.ts):
 *     ["<account>","<token>","<cumulativeAmount dec>"]
 * where <addr> is "0x" + 40 lower-case hex digits, <bytes32> is "0x" + 64 lower-case hex digits,
 * <dec> is a base-10 integer without sign or leading zeros ("0" for zero), and `tokens` lists every
 * token that has leaves, ascending, with `total` = Σ cumulativeAmount of its leaves. `usageRoot` (the root of
 * the epoch's usage-inclusion commitment, offchain/merkle/usage-commitment.ts) is absent from files written before
 * epochs committed to their usage; when present it is the last key, so it is anchored on-chain through contentHash.
 *
 * contentHash = keccak256(the exact file bytes) — the value posted on-chain next to the root.
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { availableParallelism } from "node:os";
import type { Writable } from "node:stream";
import { createKeccak } from "hash-wasm";
import type { Hex } from "viem";
import { ASCII_ADDRESS, type TokenTotal } from "./canonical";
import type { Distribution } from "./distribution";
import { createThreadedKeccak } from "./keccak-thread";

export const DISTRIBUTION_FORMAT = "tributary-distribution";
export const DISTRIBUTION_FORMAT_VERSION = 1;
export const LEAF_FIELDS = ["account", "token", "cumulativeAmount"] as const;

/** The header's content; `serializeHeader` gives its one canonical byte form. */
export interface DistributionHeader {
  readonly chainId: number;
  readonly contract: string;
  readonly epoch: bigint;
  readonly root: string;
  readonly leafCount: number;
  readonly tokens: readonly Pick<TokenTotal, "token" | "total">[];
  /** The epoch's usage commitment root; absent in files that predate it. */
  readonly usageRoot?: string;
}

/** The canonical header line, newline included. */
export function serializeHeader(h: DistributionHeader): string {
  const tokens = h.tokens.map((t) => `{"token":"${t.token}","total":"${t.total}"}`).join(",");
  return (
    `{"format":"${DISTRIBUTION_FORMAT}","version":${DISTRIBUTION_FORMAT_VERSION},"chainId":${h.chainId},` +
    `"contract":"${h.contract}","epoch":"${h.epoch}","root":"${h.root}","leafCount":${h.leafCount},` +
    `"leafFields":${JSON.stringify(LEAF_FIELDS)},"tokens":[${tokens}]` +
    `${h.usageRoot === undefined ? "" : `,"usageRoot":"${h.usageRoot}"`}}\n`
  );
}

/** The canonical leaf line, newline included. */
export function serializeLeaf(account: string, token: string, cumulativeAmount: bigint): string {
  return `["${account}","${token}","${cumulativeAmount}"]\n`;
}

const CHUNK_BYTES = 1 << 16;
const MAX_LEAF_LINE = 2 * 44 + 78 + 9;

/**
 * The file's bytes in ~64 KiB chunks, generated lazily (1M leaves never sit in one string). Leaf
 * lines are assembled from byte copies (accounts from `accountsAscii`, each token's part encoded once);
 * the test suite pins them to `serializeLeaf`.
 */
export function* distributionFileChunks(
  d: Distribution,
  chunkBytes = CHUNK_BYTES,
  allocate: (size: number) => Buffer = Buffer.allocUnsafe,
  usageRoot?: string,
): Generator<Buffer> {
  const header = Buffer.from(serializeHeader({ ...d, tokens: d.tokenTotals, usageRoot }), "latin1");
  let chunk = allocate(Math.max(chunkBytes, header.length + MAX_LEAF_LINE, 2 * MAX_LEAF_LINE));
  let used = header.copy(chunk, 0);
  const { accountsAscii, amounts, tokenIndex, length } = d.leaves;
  // The constant part of a line after the account, `","<token>","`, encoded once per token.
  const middles = d.tokenTotals.map((t) => Buffer.from(`","${t.token}","`, "latin1"));
  for (let i = 0; i < length; i++) {
    chunk[used++] = 0x5b; // [
    chunk[used++] = 0x22; // "
    used += accountsAscii.copy(chunk, used, ASCII_ADDRESS * i, ASCII_ADDRESS * (i + 1));
    used += middles[tokenIndex[i]].copy(chunk, used);
    used += chunk.write(amounts[i].toString(), used, "latin1");
    chunk[used++] = 0x22; // "
    chunk[used++] = 0x5d; // ]
    chunk[used++] = 0x0a; // \n
    if (used > chunk.length - MAX_LEAF_LINE) {
      yield chunk.subarray(0, used);
      chunk = allocate(Math.max(chunkBytes, 2 * MAX_LEAF_LINE));
      used = 0;
    }
  }
  if (used > 0) yield chunk.subarray(0, used);
}

/** keccak256 over a stream of bytes, updated chunk by chunk. */
export interface IncrementalKeccak {
  update(chunk: Uint8Array): void;
  digest(): Hex;
}

export async function createIncrementalKeccak(): Promise<IncrementalKeccak> {
  const hasher = await createKeccak(256);
  hasher.init();
  return {
    update: (chunk) => void hasher.update(chunk),
    digest: () => `0x${hasher.digest("hex")}` as Hex,
  };
}

export interface WrittenDistributionFile {
  readonly contentHash: Hex;
  readonly bytes: number;
}

export interface WriteDistributionOptions {
  /** Fewest leaves for which the content hash is computed on a worker thread (default 65,536; `Infinity` never). */
  readonly hashThreadThreshold?: number;
  /** The epoch's usage commitment root, written into the header. */
  readonly usageRoot?: string;
}

const HASH_THREAD_THRESHOLD = 1 << 16;
// Bigger chunks for the worker path: ~130 messages per 1M leaves instead of ~2,000.
const THREAD_CHUNK_BYTES = 1 << 20;

/**
 * Streams the file to `target` (a path, or a Writable that is ended when done), hashing as it writes.
 * Large files are hashed on a worker thread while this thread formats and writes the next chunks.
 * @returns the content hash and size of exactly the bytes written.
 */
export async function writeDistributionFile(
  d: Distribution,
  target: string | Writable,
  options: WriteDistributionOptions = {},
): Promise<WrittenDistributionFile> {
  const sink = typeof target === "string" ? createWriteStream(target) : target;
  const threaded = d.leafCount >= (options.hashThreadThreshold ?? HASH_THREAD_THRESHOLD) && availableParallelism() >= 2;
  const inline = threaded ? undefined : await createIncrementalKeccak();
  const worker = threaded ? createThreadedKeccak() : undefined;
  const chunks = threaded
    ? distributionFileChunks(d, THREAD_CHUNK_BYTES, sharedBuffer, options.usageRoot)
    : distributionFileChunks(d, CHUNK_BYTES, Buffer.allocUnsafe, options.usageRoot);
  let bytes = 0;
  const failed = new Promise<never>((_, reject) => sink.once("error", reject));
  failed.catch(() => undefined);
  try {
    for (const chunk of chunks) {
      if (worker) await worker.update(chunk);
      else inline!.update(chunk);
      bytes += chunk.length;
      if (!sink.write(chunk)) await Promise.race([once(sink, "drain"), failed]);
    }
    sink.end();
    await Promise.race([once(sink, "finish"), failed]);
    return { contentHash: worker ? await worker.digest() : inline!.digest(), bytes };
  } catch (e) {
    worker?.abort();
    throw e;
  }
}

function sharedBuffer(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size));
}

/** Content hash of a distribution without writing it anywhere. */
export async function distributionContentHash(d: Distribution, usageRoot?: string): Promise<WrittenDistributionFile> {
  const keccak = await createIncrementalKeccak();
  let bytes = 0;
  for (const chunk of distributionFileChunks(d, CHUNK_BYTES, Buffer.allocUnsafe, usageRoot)) {
    keccak.update(chunk);
    bytes += chunk.length;
  }
  return { contentHash: keccak.digest(), bytes };
}
