/**
 * keccak256 of a byte stream computed on a worker thread, so that a producer (the distribution-file
 * writer formatting leaf lines and writing them out) and the hashing run on two cores at once.
 * Writing a 1M-leaf file is otherwise one thread formatting, hashing and writing ~135 MB in turn
 * while the other core idles. The digest is the same hash-wasm keccak as the in-thread path; tests
 * pin the two (and viem's keccak256 of the file bytes) to each other.
 */
import { Worker } from "node:worker_threads";
import type { Hex } from "viem";
import { MerkleWorkerError } from "./errors";

/** Most chunks in flight (posted, not yet hashed): bounds the memory held when hashing lags. */
const MAX_IN_FLIGHT = 8;

export interface ThreadedKeccak {
  /**
   * Queues `chunk` for hashing; resolves once few enough chunks are in flight. The chunk must live in
   * a SharedArrayBuffer (the worker reads it without a copy) and must not change after this call.
   */
  update(chunk: Uint8Array): Promise<void>;
  /** The hash of everything queued; ends the worker. */
  digest(): Promise<Hex>;
  /** Ends the worker without a digest (the producer failed). */
  abort(): void;
}

export function createThreadedKeccak(): ThreadedKeccak {
  const worker = new Worker(workerSource(), { eval: true });
  let inFlight = 0;
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  let finish: { resolve: (h: Hex) => void; reject: (e: Error) => void } | undefined;
  const fail = (e: Error) => {
    failure ??= e;
    wake?.();
    finish?.reject(failure);
  };
  worker.on("message", (m: { hashed?: true; digest?: Hex; error?: string }) => {
    if (m.error !== undefined) return fail(new MerkleWorkerError(`keccak worker failed: ${m.error}`));
    if (m.digest !== undefined) return finish?.resolve(m.digest);
    inFlight--;
    wake?.();
  });
  worker.once("error", fail);
  worker.once("exit", (code) => fail(new MerkleWorkerError(`keccak worker exited with code ${code}`)));
  return {
    async update(chunk) {
      if (failure) throw failure;
      if (!(chunk.buffer instanceof SharedArrayBuffer))
        throw new TypeError("chunk must be backed by a SharedArrayBuffer");
      inFlight++;
      worker.postMessage(chunk);
      while (inFlight > MAX_IN_FLIGHT && !failure) await new Promise<void>((r) => (wake = r));
      wake = undefined;
      if (failure) throw failure;
    },
    async digest() {
      if (failure) throw failure;
      try {
        return await new Promise<Hex>((resolve, reject) => {
          finish = { resolve, reject };
          worker.postMessage(null); // end of stream
        });
      } finally {
        void worker.terminate();
      }
    },
    abort() {
      void worker.terminate();
    },
  };
}

// Plain JS shipped as source, as in parallel-tree.ts: no TypeScript loader needed in the worker. Built on
// first use, not at import: the browser bundle imports this module but has no require.resolve.
const workerSource = () => `
  const { parentPort } = require("node:worker_threads");
  const { createKeccak } = require(${JSON.stringify(require.resolve("hash-wasm"))});
  const ready = createKeccak(256).then((h) => (h.init(), h));
  // Messages are handled strictly in order: each waits for the previous one.
  let queue = ready;
  parentPort.on("message", (chunk) => {
    queue = queue.then((h) => {
      if (chunk === null) parentPort.postMessage({ digest: "0x" + h.digest("hex") });
      else {
        h.update(chunk);
        parentPort.postMessage({ hashed: true });
      }
      return h;
    }).catch((e) => {
      parentPort.postMessage({ error: String((e && e.stack) || e) });
      return new Promise(() => {});
    });
  });`;
