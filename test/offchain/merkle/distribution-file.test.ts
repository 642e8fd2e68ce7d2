import { expect } from "chai";
import fc from "fast-check";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { keccak256, type Address } from "viem";
import { buildDistribution } from "../../../offchain/merkle/distribution";
import {
  distributionContentHash,
  distributionFileChunks,
  serializeHeader,
  serializeLeaf,
  writeDistributionFile,
} from "../../../offchain/merkle/distribution-file";
import { readDistributionFile } from "../../../offchain/merkle/distribution-reader";
import { leafSetArb } from "./arbitraries";
import { A, B, META, T1, T2, bytesOf, chunksOf, small } from "./fixtures";

describe("offchain/merkle/distribution-file", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "tributary-merkle-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("writes the documented canonical bytes, header first, then one leaf per line in (account, token) order", async () => {
    const d = await small();
    expect(bytesOf(d).toString("latin1")).to.equal(
      `{"format":"tributary-distribution","version":1,"chainId":31337,"contract":"0x5fbdb2315678afecb367f032d93f642f64180aa3",` +
        `"epoch":"7","root":"${d.root}","leafCount":3,"leafFields":["account","token","cumulativeAmount"],` +
        `"tokens":[{"token":"${T1}","total":"1000000000000000000000000000000"},{"token":"${T2}","total":"5"}]}\n` +
        `["${A}","${T1}","1000000000000000000000000000000"]\n` +
        `["${B}","${T1}","0"]\n` +
        `["${B}","${T2}","5"]\n`,
    );
  });

  it("assembles leaf lines byte for byte like serializeLeaf, across chunk boundaries (property)", async () => {
    await fc.assert(
      fc.asyncProperty(leafSetArb(1, 40), async (values) => {
        const d = await buildDistribution(META, values);
        let expected = serializeHeader({ ...d, tokens: d.tokenTotals });
        for (let i = 0; i < d.leafCount; i++)
          expected += serializeLeaf(d.leaves.accounts[i], d.leaves.tokens[i], d.leaves.amounts[i]);
        expect(bytesOf(d).toString("latin1")).to.equal(expected);
      }),
      { numRuns: 200 },
    );
    // 2,000 leaves with 78-digit amounts span several 64 KiB chunks.
    const big = await buildDistribution(
      META,
      Array.from({ length: 2000 }, (_, i) => ({
        account: `0x${(i + 1).toString(16).padStart(40, "0")}` as Address,
        token: T1,
        cumulativeAmount: (1n << 255n) + BigInt(i),
      })),
    );
    expect([...distributionFileChunks(big)].length).to.be.greaterThan(3);
    let expected = serializeHeader({ ...big, tokens: big.tokenTotals });
    for (let i = 0; i < big.leafCount; i++)
      expected += serializeLeaf(big.leaves.accounts[i], big.leaves.tokens[i], big.leaves.amounts[i]);
    expect(bytesOf(big).toString("latin1")).to.equal(expected);
  });

  it("round-trips through a file: same root, leaves and proofs, and contentHash = keccak256 of the file bytes", async () => {
    const d = await small();
    const path = join(dir, "small.ndjson");
    const written = await writeDistributionFile(d, path);
    const bytes = readFileSync(path);
    expect(written.contentHash).to.equal(keccak256(bytes));
    expect(written.bytes).to.equal(bytes.length);
    expect((await distributionContentHash(d)).contentHash).to.equal(written.contentHash);
    const read = await readDistributionFile(path);
    expect(read.contentHash).to.equal(written.contentHash);
    expect(read.distribution.root).to.equal(d.root);
    expect(read.distribution.epoch).to.equal(7n);
    for (let i = 0; i < d.leafCount; i++) expect(read.distribution.claimAt(i)).to.deep.equal(d.claimAt(i));
  });

  it("hashes on a worker thread to the same bytes and contentHash as in-thread, over many 1 MiB chunks", async () => {
    // 90k leaves ≈ 10.6 MB: more 1 MiB chunks than the worker may have in flight (8), so backpressure is exercised.
    const values = Array.from({ length: 90_000 }, (_, i) => ({
      account: `0x${(i + 1).toString(16).padStart(40, "0")}` as Address,
      token: i % 2 === 0 ? T1 : T2,
      cumulativeAmount: BigInt(i) * 10n ** 18n + 7n,
    }));
    const d = await buildDistribution(META, values);
    const threadedPath = join(dir, "threaded.ndjson");
    const inlinePath = join(dir, "inline.ndjson");
    const threaded = await writeDistributionFile(d, threadedPath, { hashThreadThreshold: 1 });
    const inline = await writeDistributionFile(d, inlinePath, { hashThreadThreshold: Infinity });
    const bytes = readFileSync(threadedPath);
    expect(bytes.length).to.be.greaterThan(9 * 2 ** 20);
    expect(bytes.equals(readFileSync(inlinePath))).to.equal(true);
    expect(bytes.equals(bytesOf(d))).to.equal(true);
    expect(threaded).to.deep.equal(inline);
    expect(threaded.contentHash).to.equal(keccak256(bytes));
    expect(threaded.bytes).to.equal(bytes.length);
  });

  it("rejects, without hanging, when the sink fails while hashing on a worker thread", async () => {
    const d = await small();
    const sink = new PassThrough();
    sink.write = () => {
      sink.destroy(new Error("disk full"));
      return false;
    };
    let error: unknown;
    try {
      await writeDistributionFile(d, sink, { hashThreadThreshold: 1 });
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.contain("disk full");
  });

  it("round-trips random distributions through a stream in arbitrary chunk sizes (property)", async () => {
    await fc.assert(
      fc.asyncProperty(leafSetArb(1, 25), fc.integer({ min: 1, max: 300 }), async (values, chunk) => {
        const d = await buildDistribution(META, values);
        const sink = new PassThrough();
        const collected: Buffer[] = [];
        sink.on("data", (b: Buffer) => collected.push(b));
        const written = await writeDistributionFile(d, sink);
        const bytes = Buffer.concat(collected);
        expect(keccak256(bytes)).to.equal(written.contentHash);
        const read = await readDistributionFile(chunksOf(bytes, chunk));
        expect(read.contentHash).to.equal(written.contentHash);
        expect(read.distribution.root).to.equal(d.root);
        expect(read.distribution.leafCount).to.equal(d.leafCount);
        for (let i = 0; i < d.leafCount; i++) expect(read.distribution.tree.proof(i)).to.deep.equal(d.tree.proof(i));
      }),
      { numRuns: 200 },
    );
  });
});
