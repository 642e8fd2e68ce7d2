/**
 * A content-addressed file store: each file is kept under its keccak256 (the distribution's `contentHash`) as
 * `<dir>/<0x…hash>`, so the folder can be a mounted volume shared by replicas or published as-is as a static site.
 * Files are written by streaming to a temporary name, fsynced and renamed into place (a reader never sees a partial
 * file, a crash leaves at most a stray `.tmp-*`), and read by streaming. Writing the same bytes twice is a no-op.
 * Only public files belong here: the API serves any stored file to anyone who names its hash.
 */
import { once } from "node:events";
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import type { Readable, Writable } from "node:stream";
import type { Hex } from "viem";
import { createIncrementalKeccak } from "../merkle/distribution-file";
import { BadContentHashError, StoredFileNotFoundError } from "./errors";

export type StoredFile = { contentHash: Hex; size: number };

/** Writes bytes to `sink` (ending it) and returns the keccak256 and size of exactly what it wrote. */
export type HashingWriter = (sink: Writable) => Promise<{ contentHash: Hex; bytes: number }>;

export type ContentStore = {
  readonly dir: string;
  /** Streams `chunks` in, hashing on the way; stored under their keccak256. */
  put(chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<StoredFile>;
  /** For writers that hash as they write (writeDistributionFile hashes on a worker thread). */
  putWith(write: HashingWriter): Promise<StoredFile>;
  /** The stored file's hash and size, or undefined. */
  stat(contentHash: string): Promise<StoredFile | undefined>;
  /** A read stream of the stored file. @throws StoredFileNotFoundError, BadContentHashError */
  open(contentHash: string): Promise<{ file: StoredFile; stream: Readable }>;
};

const HASH = /^0x[0-9a-f]{64}$/;

/** The canonical (lower-case) form of a content hash. @throws BadContentHashError */
export function normalizeContentHash(contentHash: string): Hex {
  const h = contentHash.toLowerCase();
  if (!HASH.test(h)) throw new BadContentHashError(contentHash);
  return h as Hex;
}

export function createContentStore({ dir }: { dir: string }): ContentStore {
  const root = path.resolve(dir);
  const pathOf = (contentHash: string) => path.join(root, normalizeContentHash(contentHash));

  async function putWith(write: HashingWriter): Promise<StoredFile> {
    await fs.promises.mkdir(root, { recursive: true });
    const tmp = path.join(root, `.tmp-${process.pid}-${crypto.randomUUID()}`);
    try {
      const { contentHash, bytes } = await write(fs.createWriteStream(tmp));
      // Durable before anyone is told about it: the epoch row that names this hash commits after this returns.
      const fh = await fs.promises.open(tmp, "r");
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.promises.rename(tmp, pathOf(contentHash));
      return { contentHash: normalizeContentHash(contentHash), size: bytes };
    } finally {
      await fs.promises.rm(tmp, { force: true });
    }
  }

  async function stat(contentHash: string): Promise<StoredFile | undefined> {
    const hash = normalizeContentHash(contentHash);
    try {
      const s = await fs.promises.stat(pathOf(hash));
      return { contentHash: hash, size: s.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  return {
    dir: root,
    putWith,
    put(chunks) {
      return putWith(async (sink) => {
        const keccak = await createIncrementalKeccak();
        let bytes = 0;
        const failed = new Promise<never>((_, reject) => sink.once("error", reject));
        failed.catch(() => undefined);
        for await (const chunk of chunks) {
          keccak.update(chunk);
          bytes += chunk.length;
          if (!sink.write(chunk)) await Promise.race([once(sink, "drain"), failed]);
        }
        sink.end();
        await Promise.race([once(sink, "finish"), failed]);
        return { contentHash: keccak.digest(), bytes };
      });
    },
    stat,
    async open(contentHash) {
      const file = await stat(contentHash);
      if (!file) throw new StoredFileNotFoundError(normalizeContentHash(contentHash));
      return { file, stream: fs.createReadStream(pathOf(file.contentHash), { highWaterMark: 1 << 20 }) };
    },
  };
}
