/**
 * Distribution files served from the content-addressed store: streamed, ETag = content hash, immutable by hash,
 * 304 on a matching If-None-Match; an epoch closed before the store (file in its row) is moved to the store on first
 * read and its row cleared.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import request from "supertest";
import { keccak256, type Address } from "viem";
import { createApp } from "../../../../offchain/api/app";
import { createCommon } from "../../../../offchain/common";
import { loadConfig } from "../../../../offchain/config";
import { closeEpoch } from "../../../../offchain/epochs";
import { buildDistribution, distributionFileChunks } from "../../../../offchain/merkle";
import {
  confirmedDeposit,
  FEE,
  openEpochsFixture,
  SPLITTER,
  TREASURY,
  type EpochsFixture,
} from "../../epochs/fixtures";

const binary = (res: request.Response, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  const stream = res as unknown as NodeJS.ReadableStream;
  stream.on("data", (c: Buffer) => chunks.push(c));
  stream.on("end", () => cb(null, Buffer.concat(chunks)));
};

describe("offchain/api/services/epochs (distribution files)", () => {
  let f: EpochsFixture;
  let storeDir: string;
  let app: ReturnType<typeof createApp>;
  let contentHash: string;

  before(async () => {
    f = await openEpochsFixture();
    storeDir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-files-"));
    const common = createCommon(
      loadConfig({
        LOG_LEVEL: "silent",
        TREASURY_ADDRESS: TREASURY,
        SPLITTER_ADDRESS: SPLITTER,
        PLATFORM_FEE_BPS: "250",
        DISTRIBUTION_STORE_DIR: storeDir,
      }),
      { defaultMetrics: false },
    );
    await confirmedDeposit(f, FEE);
    const r = await closeEpoch({ prisma: f.db.prisma, common }, "op", {});
    if (r.status !== "closed") throw new Error("fixture epoch did not close");
    contentHash = r.contentHash;
    app = createApp({ common, db: f.db });
  });
  after(async () => {
    await f?.db.close();
    fs.rmSync(storeDir, { recursive: true, force: true });
  });

  it("serves a file by content hash with ETag = hash, its length and immutable caching", async () => {
    const res = await request(app).get(`/v1/distributions/${contentHash}`).buffer(true).parse(binary).expect(200);
    expect(keccak256(res.body as Buffer)).to.equal(contentHash);
    expect(res.headers.etag).to.equal(`"${contentHash}"`);
    expect(res.headers["cache-control"]).to.equal("public, max-age=31536000, immutable");
    expect(Number(res.headers["content-length"])).to.equal((res.body as Buffer).length);
    expect(res.headers["content-type"]).to.match(/^application\/x-ndjson/);
  });

  it("answers 304 with no body when the client already has that hash", async () => {
    const res = await request(app)
      .get(`/v1/distributions/${contentHash}`)
      .set("if-none-match", `W/"0x${"00".repeat(32)}", "${contentHash}"`)
      .expect(304);
    expect(res.text ?? "").to.equal("");
    expect(res.headers.etag).to.equal(`"${contentHash}"`);
  });

  it("serves the epoch's file by number with the same bytes and ETag, revalidated rather than cached for good", async () => {
    const byHash = await request(app).get(`/v1/distributions/${contentHash}`).buffer(true).parse(binary);
    const res = await request(app).get("/v1/epochs/1/distribution").buffer(true).parse(binary).expect(200);
    expect((res.body as Buffer).equals(byHash.body as Buffer)).to.equal(true);
    expect(res.headers.etag).to.equal(`"${contentHash}"`);
    expect(res.headers["cache-control"]).to.equal("public, no-cache");
    await request(app).get("/v1/epochs/1/distribution").set("if-none-match", `"${contentHash}"`).expect(304);
  });

  it("404s an unknown hash and an unknown epoch as problem+json", async () => {
    const a = await request(app)
      .get(`/v1/distributions/0x${"ab".repeat(32)}`)
      .expect(404);
    expect(a.headers["content-type"]).to.match(/^application\/problem\+json/);
    const b = await request(app).get("/v1/epochs/9/distribution").expect(404);
    expect(b.headers["content-type"]).to.match(/^application\/problem\+json/);
  });

  it("moves a legacy in-row file to the store on first read and clears the row", async () => {
    const d = await buildDistribution({ chainId: 31337, contract: SPLITTER as Address, epoch: 2n }, [
      { account: `0x${"a1".repeat(20)}`, token: `0x${"7e".repeat(20)}`, cumulativeAmount: 5n },
    ]);
    const bytes = Buffer.concat([...distributionFileChunks(d)]);
    const hash = keccak256(bytes);
    await f.db.prisma.epoch.create({
      data: {
        id: 2,
        startsAt: new Date(0),
        endsAt: new Date(1000),
        status: "computed",
        root: d.root,
        contentHash: hash,
        totals: {},
        leafCount: 1,
        report: {},
        state: {},
        distribution: new Uint8Array(bytes),
        distributionSize: BigInt(bytes.length),
        closedBy: "legacy",
      },
    });
    expect(fs.existsSync(path.join(storeDir, hash))).to.equal(false);
    const res = await request(app).get("/v1/epochs/2/distribution").buffer(true).parse(binary).expect(200);
    expect((res.body as Buffer).equals(bytes)).to.equal(true);
    expect(fs.readFileSync(path.join(storeDir, hash)).equals(bytes)).to.equal(true);
    const row = await f.db.prisma.epoch.findUniqueOrThrow({ where: { id: 2 }, select: { distribution: true } });
    expect(row.distribution).to.equal(null);
  });
});
