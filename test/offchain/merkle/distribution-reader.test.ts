import { expect } from "chai";
import fc from "fast-check";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keccak256 } from "viem";
import { readDistributionFile } from "../../../offchain/merkle/distribution-reader";
import { DistributionFileInvalidError } from "../../../offchain/merkle/errors";
import { distributionFileChunks } from "../../../offchain/merkle/distribution-file";
import { bytesOf, chunksOf, small } from "./fixtures";

const rejected = (text: string | Buffer, match: RegExp) =>
  readDistributionFile(chunksOf(Buffer.from(text), 1 << 16)).then(
    () => expect.fail(`accepted, expected ${match}`),
    (e: unknown) => {
      expect(e).to.be.instanceOf(DistributionFileInvalidError);
      expect((e as Error).message).to.match(match);
    },
  );

describe("offchain/merkle/distribution-reader", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "tributary-merkle-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("any single changed byte changes the content hash, and the reader rejects it unless only chain id/contract/epoch changed (property)", async () => {
    const d = await small();
    const original = bytesOf(d);
    const originalHash = keccak256(original);
    const headerEnd = original.indexOf(0x0a);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: original.length - 1 }), fc.integer({ min: 1, max: 255 }), async (pos, delta) => {
        const tampered = Buffer.from(original);
        tampered[pos] = (tampered[pos] + delta) & 0xff;
        expect(keccak256(tampered)).to.not.equal(originalHash);
        try {
          const read = await readDistributionFile(chunksOf(tampered, 97));
          // Accepted: the change must be confined to the header fields the root does not commit to.
          expect(pos).to.be.lessThan(headerEnd);
          expect(read.distribution.root).to.equal(d.root);
          expect(read.contentHash).to.not.equal(originalHash);
          const changedMeta =
            read.header.chainId !== d.chainId || read.header.contract !== d.contract || read.header.epoch !== d.epoch;
          expect(changedMeta).to.equal(true);
        } catch (e) {
          expect(e).to.be.instanceOf(DistributionFileInvalidError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("reads the usageRoot header field written after the tokens, and rejects it anywhere else or malformed", async () => {
    const d = await small();
    const usageRoot = `0x${"5a".repeat(32)}`;
    const bytes = Buffer.concat([...distributionFileChunks(d, 1 << 16, Buffer.allocUnsafe, usageRoot)]);
    const read = await readDistributionFile(chunksOf(bytes, 97));
    expect(read.header.usageRoot).to.equal(usageRoot);
    expect(read.contentHash).to.equal(keccak256(bytes));
    expect(read.contentHash).to.not.equal(keccak256(bytesOf(d)));
    expect((await readDistributionFile(chunksOf(bytesOf(d), 97))).header).to.not.have.property("usageRoot");
    const [header, ...rest] = bytes.toString("latin1").split("\n");
    const moved = header
      .replace(`,"usageRoot":"${usageRoot}"`, "")
      .replace('"tokens"', `"usageRoot":"${usageRoot}","tokens"`);
    await rejected([moved, ...rest].join("\n"), /not in canonical form/);
    await rejected(
      [header.replace(usageRoot, usageRoot.toUpperCase().replace("0X", "0x")), ...rest].join("\n"),
      /invalid header: usageRoot/,
    );
  });

  it("rejects leaves out of canonical order, duplicates, and wrong totals or leaf counts", async () => {
    const text = bytesOf(await small()).toString("latin1");
    const [header, l1, l2, l3] = text.split("\n");
    await rejected([header, l2, l1, l3, ""].join("\n"), /line 3: leaves are not in canonical/);
    await rejected([header, l1, l3, l2, ""].join("\n"), /line 4: leaves are not in canonical/);
    await rejected(
      [header.replace('"leafCount":3', '"leafCount":4'), l1, l2, l3, l3, ""].join("\n"),
      /line 5: duplicate/,
    );
    await rejected([header, l1, l2, l3.replace('"5"', '"6"'), ""].join("\n"), /token totals/);
    await rejected([header.replace('"total":"5"', '"total":"6"'), l1, l2, l3, ""].join("\n"), /token totals/);
    await rejected(
      [header.replace('"leafCount":3', '"leafCount":2'), l1, l2, l3, ""].join("\n"),
      /header says 2 leaves/,
    );
    await rejected([header, l1, l2, ""].join("\n"), /header says 3 leaves|token totals/);
  });

  it("rejects a wrong root, another format version, non-canonical spellings and a missing final newline", async () => {
    const text = bytesOf(await small()).toString("latin1");
    const [header, l1, l2, l3] = text.split("\n");
    const root = /"root":"(0x[0-9a-f]{64})"/.exec(header)![1];
    const otherRoot = `0x${root.slice(2, 65)}${root[65] === "0" ? "1" : "0"}`;
    await rejected([header.replace(root, otherRoot), l1, l2, l3, ""].join("\n"), /root .* does not match/);
    await rejected(
      [header.replace('"version":1', '"version":2'), l1, l2, l3, ""].join("\n"),
      /unsupported format version 2/,
    );
    await rejected(
      [header.replace('"chainId":31337,', '"chainId": 31337,'), l1, l2, l3, ""].join("\n"),
      /not in canonical form/,
    );
    await rejected(
      [
        header.replace(/"format":"tributary-distribution",("version":1,)/, '$1"format":"tributary-distribution",'),
        l1,
        l2,
        l3,
        "",
      ].join("\n"),
      /not in canonical form/,
    );
    await rejected([header, l1.replace('a1"', 'A1"'), l2, l3, ""].join("\n"), /line 2: leaf line is not canonical/);
    await rejected([header, l1, l2.replace('"0"', '"00"'), l3, ""].join("\n"), /line 3: leaf line is not canonical/);
    await rejected([header, l1, l2, l3, "", ""].join("\n"), /line 5: leaf line is not canonical/);
    await rejected([header, l1, l2, l3].join("\n"), /end with a newline/);
    await rejected("", /empty file/);
    await rejected(`${header}\n`, /header says 3 leaves/);
    writeFileSync(join(dir, "crlf.ndjson"), text.replace(/\n/g, "\r\n"));
    await readDistributionFile(join(dir, "crlf.ndjson")).then(
      () => expect.fail("accepted CRLF"),
      (e: unknown) => expect(e).to.be.instanceOf(DistributionFileInvalidError),
    );
  });
});
