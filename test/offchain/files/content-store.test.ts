import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { keccak256 } from "viem";
import {
  BadContentHashError,
  createContentStore,
  StoredFileNotFoundError,
  type ContentStore,
} from "../../../offchain/files";

async function readAll(s: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.fail("resolved"),
    (e: unknown) => e,
  );
}

describe("offchain/files/content-store", () => {
  let dir: string;
  let store: ContentStore;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-store-"));
    store = createContentStore({ dir: path.join(dir, "nested", "store") });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("stores streamed chunks under their keccak256 and streams the same bytes back", async () => {
    const chunks = [Buffer.from("header\n"), Buffer.alloc(300_000, 7), Buffer.from("tail")];
    const all = Buffer.concat(chunks);
    const put = await store.put(
      (async function* () {
        yield* chunks;
      })(),
    );
    expect(put).to.deep.equal({ contentHash: keccak256(all), size: all.length });
    const { file, stream } = await store.open(put.contentHash.toUpperCase().replace("0X", "0x"));
    expect(file).to.deep.equal(put);
    expect((await readAll(stream)).equals(all)).to.equal(true);
    // Named by its hash only, no temporary file left behind.
    expect(fs.readdirSync(store.dir)).to.deep.equal([put.contentHash]);
  });

  it("storing the same bytes twice keeps one file; different bytes get different names", async () => {
    const a = await store.put([Buffer.from("a")]);
    const again = await store.put([Buffer.from("a")]);
    const b = await store.put([Buffer.from("b")]);
    expect(again).to.deep.equal(a);
    expect(b.contentHash).to.not.equal(a.contentHash);
    expect(fs.readdirSync(store.dir).sort()).to.deep.equal([a.contentHash, b.contentHash].sort());
  });

  it("a writer that fails leaves nothing stored", async () => {
    const failing = store.put(
      (async function* () {
        yield Buffer.from("partial");
        throw new Error("source broke");
      })(),
    );
    expect(await failure(failing)).to.have.property("message", "source broke");
    expect(fs.readdirSync(store.dir)).to.deep.equal([]);
  });

  it("an unknown hash is StoredFileNotFoundError; a hash that is not 32 hex bytes never reaches the disk", async () => {
    expect(await store.stat(`0x${"ab".repeat(32)}`)).to.equal(undefined);
    expect(await failure(store.open(`0x${"ab".repeat(32)}`))).to.be.instanceOf(StoredFileNotFoundError);
    for (const bad of ["../../etc/passwd", `0x${"ab".repeat(31)}`, `${"ab".repeat(32)}`, `0x${"zz".repeat(32)}`])
      expect(await failure(store.open(bad)), bad).to.be.instanceOf(BadContentHashError);
  });
});
