/**
 * Builds the tree of canonical leaves, on two threads when it pays off: a worker hashes the right
 * part of the leaves and of the lowest tree levels while the main thread does the left part, then
 * the main thread finishes the few top levels. The split index is a multiple of 2^L, so below level
 * L no pair straddles the two parts and the result is byte-identical to the serial build.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { CanonicalLeaves } from "./canonical";
import { createKeccakHasher, hashLeafRange } from "./leaf";
import { allocateLayers, createFlatMerkleTree, hashLayerRange, type FlatMerkleTree } from "./tree";
import { MerkleWorkerError } from "./errors";

export interface LeafTreeOptions {
  /** Fewest leaves for which a worker thread is used (default 65,536; `Infinity` never, 2 always). */
  readonly parallelThreshold?: number;
}

const DEFAULT_THRESHOLD = 1 << 16;

/** Hashes the canonical leaves and builds their tree (layers in flat buffers). */
export async function buildLeafTree(leaves: CanonicalLeaves, options: LeafTreeOptions = {}): Promise<FlatMerkleTree> {
  const n = leaves.length;
  const tokens = leaves.tokenTotals.map((t) => t.token);
  const threshold = options.parallelThreshold ?? DEFAULT_THRESHOLD;
  const levels = Math.max(1, Math.floor(Math.log2(Math.max(n, 1))) - 6);
  const split = Math.round(n / 2 / 2 ** levels) * 2 ** levels;
  if (n < Math.max(threshold, 2) || availableParallelism() < 2 || split <= 0 || split >= n) {
    const layers = allocateLayers(new Uint8Array(n * 32));
    const hasher = await createKeccakHasher();
    hashLeafRange(hasher, leaves.accountsAscii, tokens, leaves.tokenIndex, leaves.amounts, layers[0], 0);
    return finishLevels(layers, 1, hasher);
  }

  const layers = allocateLayers(new Uint8Array(new SharedArrayBuffer(n * 32)), true);
  const worker = startWorker();
  const done = workerDone(worker);
  worker.postMessage({
    accounts: leaves.accountsAscii.subarray(42 * split),
    tokens,
    tokenIndex: leaves.tokenIndex.subarray(split),
    amounts: leaves.amounts.slice(split),
    layers: layers.slice(0, levels + 1),
    split,
  });
  const hasher = await createKeccakHasher();
  try {
    hashLeafRange(
      hasher,
      leaves.accountsAscii,
      tokens,
      leaves.tokenIndex,
      leaves.amounts.slice(0, split),
      layers[0],
      0,
    );
    for (let level = 1; level <= levels; level++) {
      hashLayerRange(hasher, layers[level - 1], layers[level - 1].length / 32, layers[level], 0, split >> level);
    }
    await done;
  } finally {
    void worker.terminate();
  }
  return finishLevels(layers, levels + 1, hasher);
}

/**
 * Builds the tree over leaves already hashed (`leafHashes`, N × 32 bytes, kept as layer 0), on two threads from
 * `parallelThreshold` leaves: the worker hashes the right part of the lowest levels, as in `buildLeafTree`.
 * Byte-identical to `buildMerkleTree` (the tests pin the two). `leafHashes` must live in a SharedArrayBuffer for the
 * worker to read it without a copy; otherwise the build is serial.
 */
export async function buildHashedLeafTree(
  leafHashes: Uint8Array,
  options: LeafTreeOptions = {},
): Promise<FlatMerkleTree> {
  const n = leafHashes.length / 32;
  const threshold = options.parallelThreshold ?? DEFAULT_THRESHOLD;
  const levels = Math.max(1, Math.floor(Math.log2(Math.max(n, 1))) - 6);
  const split = Math.round(n / 2 / 2 ** levels) * 2 ** levels;
  const hasher = await createKeccakHasher();
  const shared = leafHashes.buffer instanceof SharedArrayBuffer;
  if (!shared || n < Math.max(threshold, 2) || availableParallelism() < 2 || split <= 0 || split >= n)
    return finishLevels(allocateLayers(leafHashes), 1, hasher);
  const layers = allocateLayers(leafHashes, true);
  const worker = startWorker();
  const done = workerDone(worker);
  worker.postMessage({ layers: layers.slice(0, levels + 1), split });
  try {
    for (let level = 1; level <= levels; level++) {
      hashLayerRange(hasher, layers[level - 1], layers[level - 1].length / 32, layers[level], 0, split >> level);
    }
    await done;
  } finally {
    void worker.terminate();
  }
  return finishLevels(layers, levels + 1, hasher);
}

function finishLevels(
  layers: Uint8Array[],
  from: number,
  hasher: Awaited<ReturnType<typeof createKeccakHasher>>,
): FlatMerkleTree {
  for (let level = from; level < layers.length; level++) {
    const count = layers[level - 1].length / 32;
    hashLayerRange(hasher, layers[level - 1], count, layers[level], 0, Math.ceil(count / 2));
  }
  return createFlatMerkleTree(layers);
}

// The worker runs the very functions the main thread runs, shipped as source (they are self-contained),
// so it needs no TypeScript loader and there is no second copy of the hashing code.
function startWorker(): Worker {
  const source = `
    const { parentPort } = require("node:worker_threads");
    const { createKeccak } = require(${JSON.stringify(require.resolve("hash-wasm"))});
    const hashLeafRange = ${hashLeafRange.toString()};
    const hashLayerRange = ${hashLayerRange.toString()};
    parentPort.once("message", async (job) => {
      try {
        const hasher = await createKeccak(256);
        // Without accounts the leaves arrive hashed (buildHashedLeafTree): only the levels above them are built.
        if (job.accounts) hashLeafRange(hasher, job.accounts, job.tokens, job.tokenIndex, job.amounts, job.layers[0], 32 * job.split);
        for (let level = 1; level < job.layers.length; level++) {
          const count = job.layers[level - 1].length / 32;
          hashLayerRange(hasher, job.layers[level - 1], count, job.layers[level], job.split >> level, Math.ceil(count / 2));
        }
        parentPort.postMessage({ ok: true });
      } catch (e) {
        parentPort.postMessage({ ok: false, error: String((e && e.stack) || e) });
      }
    });`;
  return new Worker(source, { eval: true });
}

function workerDone(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    worker.once("message", (m: { ok: boolean; error?: string }) =>
      m.ok ? resolve() : reject(new MerkleWorkerError(`merkle worker failed: ${m.error}`)),
    );
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new MerkleWorkerError(`merkle worker exited with code ${code}`)));
  });
}
