/**
 * `tributary verify earnings`: a creator checks its allocation from its datasets' usage responses, the published
 * rates, its share and the distribution files alone (no chain here: --no-chain; the files are anchored by the
 * content hash each response names). Real closed epochs of the API scenario: they match; a tampered aggregate
 * fails its receipt; a tampered leaf is named; two datasets with a share change inside the epoch are checked
 * within the interval the aggregates allow, and the subscription/one-time part is reported as not checkable.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import request from "supertest";
import { closeEpoch } from "../../../../offchain/epochs";
import { distributionStoreOf } from "../../../../offchain/files";
import { buildDistribution, readDistributionFile, writeDistributionFile } from "../../../../offchain/merkle";
import { runCli } from "../../../../offchain/cli/program";
import type { EarningsVerification } from "../../../../offchain/cli/commands/verify-earnings";
import { bearer, startTestApi, TOKEN, type TestApi } from "../../helpers/api";
import { TEST_DATABASE } from "../../helpers/database";
import { buildScenario, HOUR, type Scenario } from "../../helpers/scenario";

describe(`offchain/cli/commands/verify-earnings (${TEST_DATABASE})`, function () {
  this.timeout(120_000);
  let t: TestApi;
  let s: Scenario;
  let dir: string;
  const T = Math.floor(Date.now() / 1000) * 1000;
  beforeEach(async () => {
    t = await startTestApi();
    s = await buildScenario(t, { now: T });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-earnings-"));
  });
  afterEach(async () => {
    await t?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const deps = () => ({ prisma: t.db.prisma, common: t.common });

  type Event = { licenseId: string; datasetId: string; units: string; at: number };
  let seq = 0;
  async function report(events: Event[]): Promise<void> {
    const r = await request(t.app)
      .post("/v1/usage")
      .set("x-api-key", s.apiKey)
      .send({
        events: events.map((e) => ({
          licenseId: e.licenseId,
          datasetId: e.datasetId,
          units: e.units,
          idempotencyKey: `k-${seq++}`,
          itemRef: "item",
          occurredAt: new Date(e.at).toISOString(),
          ...(e.licenseId === s.licenses.revenueShare ? { currency: TOKEN } : {}),
        })),
      });
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(r.body.accepted).to.equal(events.length);
  }
  /** Closes the epoch; writes its file; returns its path. */
  async function close(end: number): Promise<{ epoch: number; file: string }> {
    const r = await closeEpoch(deps(), "operator", { endsAt: new Date(end).toISOString() });
    if (r.status !== "closed") throw new Error(r.reason);
    const file = path.join(dir, `epoch-${r.epoch}.ndjson`);
    const stored = await distributionStoreOf(t.common).open(r.contentHash);
    const chunks: Buffer[] = [];
    for await (const c of stored.stream) chunks.push(Buffer.from(c));
    fs.writeFileSync(file, Buffer.concat(chunks));
    return { epoch: r.epoch, file };
  }
  /** The creator downloads its dataset's usage response of `epoch` to a file. */
  async function usage(token: string, datasetId: string, epoch: number, edit?: (b: Record<string, unknown>) => void) {
    const r = await request(t.app).get(`/v1/datasets/${datasetId}/usage-receipts/${epoch}`).set(bearer(token));
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    edit?.(r.body);
    const file = path.join(dir, `usage-${datasetId.slice(2, 10)}-${epoch}-${seq++}.json`);
    fs.writeFileSync(file, JSON.stringify(r.body));
    return file;
  }
  async function cli(args: string[]): Promise<{ code: number; body: EarningsVerification; err: string }> {
    let out = "";
    let err = "";
    const io = { out: (x: string) => void (out += x), err: (x: string) => void (err += x), isTty: false };
    const code = await runCli(["--json", "verify", "earnings", "--no-chain", ...args], { io, env: {} });
    return { code, body: out ? (JSON.parse(out) as EarningsVerification) : ({} as EarningsVerification), err };
  }
  const leafOf = async (file: string, account: string) =>
    (await readDistributionFile(file)).distribution.claimFor(account as `0x${string}`, TOKEN as `0x${string}`)
      ?.cumulativeAmount ?? 0n;
  const B = () => s.creatorB.address.toLowerCase();
  const start = () => s.licenseStart.getTime();

  it("matches a creator's revenue-share allocation in two real closed epochs, the second against the first", async () => {
    const end1 = T - 30 * 60_000;
    await report([
      { licenseId: s.licenses.revenueShare, datasetId: s.datasets.d4, units: "123457", at: start() + 60_000 },
      { licenseId: s.licenses.revenueShare, datasetId: s.datasets.d4, units: "99999", at: start() + 120_000 },
      { licenseId: s.licenses.revenueShare, datasetId: s.datasets.d4, units: "31", at: end1 + 60_000 },
      { licenseId: s.licenses.revenueShare, datasetId: s.datasets.d4, units: "777773", at: end1 + 120_000 },
    ]);
    const one = await close(end1);
    const two = await close(T);
    const first = await cli([B(), "--usage", await usage(s.tokens.creatorB, s.datasets.d4, 1), "--file", one.file]);
    expect(first.code, first.err).to.equal(0);
    expect(first.body.ok).to.equal(true);
    expect(first.body.receiptsVerified).to.equal(1);
    expect(first.body.tokens.map((x) => [x.token, x.status, x.got, x.bound])).to.deep.equal([
      [TOKEN, "match", (await leafOf(one.file, B())).toString(), 1],
    ]);
    // The usage part is the exact figure the terms give: ⌊223,456 · 15%⌋ = 33,518, less the fee, × 100%.
    const fee = BigInt(t.common.config.platformFeeBps);
    const exact = 33_518n * (10_000n - fee) * 10_000n;
    expect(first.body.tokens[0].expectedMin).to.equal(
      `${exact / 100_000_000n}.${(exact % 100_000_000n).toString().padStart(8, "0")}`,
    );
    const second = await cli([
      B(),
      "--usage",
      await usage(s.tokens.creatorB, s.datasets.d4, 2),
      "--file",
      two.file,
      "--previous",
      one.file,
    ]);
    expect(second.code, second.err).to.equal(0);
    expect(second.body.tokens[0]).to.deep.include({
      status: "match",
      got: ((await leafOf(two.file, B())) - (await leafOf(one.file, B()))).toString(),
      bound: 2,
    });
    expect(second.body.previousEpoch).to.equal(1);
  });

  it("fails the receipt of an aggregate with one unit changed, naming the dataset and license", async () => {
    const end1 = T - 30 * 60_000;
    await report([{ licenseId: s.licenses.revenueShare, datasetId: s.datasets.d4, units: "5000", at: start() + 1 }]);
    const one = await close(end1);
    const tampered = await usage(s.tokens.creatorB, s.datasets.d4, 1, (b) => {
      const a = (b.aggregates as { receipt: { record: { units: string } } }[])[0];
      a.receipt.record.units = String(BigInt(a.receipt.record.units) + 1n);
    });
    const r = await cli([B(), "--usage", tampered, "--file", one.file]);
    expect(r.code).to.equal(1);
    expect(r.body.ok).to.equal(false);
    expect(r.body.mismatch).to.deep.include({ datasetId: s.datasets.d4, licenseId: s.licenses.revenueShare });
    expect(r.body.mismatch!.reason).to.match(/^the receipt does not verify: proof leads to /);
  });

  it("names the token, expected and got when the file's leaf is raised by 2 (beyond the first epoch's bound of 1)", async () => {
    const end1 = T - 30 * 60_000;
    await report([{ licenseId: s.licenses.revenueShare, datasetId: s.datasets.d4, units: "654321", at: start() + 1 }]);
    const one = await close(end1);
    const read = await readDistributionFile(one.file);
    const d = read.distribution;
    const leaves = Array.from({ length: d.leafCount }, (_, i) => ({
      account: d.leaves.accounts[i],
      token: d.leaves.tokens[i],
      cumulativeAmount: d.leaves.amounts[i] + (d.leaves.accounts[i].toLowerCase() === B() ? 2n : 0n),
    }));
    const forged = path.join(dir, "forged.ndjson");
    const written = await writeDistributionFile(await buildDistribution(d, leaves), forged, {
      usageRoot: read.header.usageRoot,
    });
    // Offline, the file is anchored only by the response's content hash: name the forged file's (on chain, the
    // proposed root would refuse it before the allocation is compared).
    const file = await usage(s.tokens.creatorB, s.datasets.d4, 1, (b) => {
      b.contentHash = written.contentHash;
    });
    const honest = await cli([B(), "--usage", file, "--file", one.file]);
    expect(honest.code).to.equal(1);
    expect(honest.body.mismatch!.reason).to.match(/^the usage response names content hash /);
    const r = await cli([B(), "--usage", file, "--file", forged]);
    expect(r.code).to.equal(1);
    const expected = r.body.tokens[0].expectedMin;
    expect(r.body.mismatch).to.deep.equal({
      datasetId: s.datasets.d4,
      licenseId: s.licenses.revenueShare,
      token: TOKEN,
      expected,
      got: ((await leafOf(one.file, B())) + 2n).toString(),
      reason: "the leaf grew by more than the usage explains (±1 for rounding)",
    });
  });

  it("checks two datasets with a share change inside the epoch within the aggregates' interval; other licenses are not checkable", async () => {
    const end1 = T - 30 * 60_000;
    const a = s.creatorA.address.toLowerCase();
    // d3: creator A 3333 bps until mid-epoch, 1333 from then on (the owner lowering its own share).
    const mid = new Date(Math.floor((start() + HOUR / 2) / 1000) * 1000);
    const contributor = s.contributor;
    await t.db.prisma.shareChange.create({
      data: {
        datasetId: s.datasets.d3,
        shares: [
          { account: a, bps: 1333 },
          { account: contributor, bps: 8667 },
        ],
        requestedAt: mid,
        effectiveAt: mid,
        affected: [],
        createdBy: a,
      },
    });
    await report([
      { licenseId: s.licenses.perUse, datasetId: s.datasets.d1, units: "100", at: start() + 60_000 },
      { licenseId: s.licenses.perUse, datasetId: s.datasets.d3, units: "200", at: start() + 120_000 },
      { licenseId: s.licenses.perUse, datasetId: s.datasets.d3, units: "300", at: mid.getTime() + 60_000 },
    ]);
    const one = await close(end1);
    const files = [
      await usage(s.tokens.creatorA, s.datasets.d1, 1),
      await usage(s.tokens.creatorA, s.datasets.d2, 1),
      await usage(s.tokens.creatorA, s.datasets.d3, 1),
    ];
    const d3 = JSON.parse(fs.readFileSync(files[2], "utf8")) as { sharePeriods: unknown };
    expect(d3.sharePeriods).to.deep.equal([
      { from: new Date(0).toISOString(), bps: 3333 },
      { from: mid.toISOString(), bps: 1333 },
    ]);
    const r = await cli([a, "--usage", ...files, "--file", one.file]);
    expect(r.code, r.err).to.equal(0);
    expect(r.body.receiptsVerified).to.equal(2);
    const [token] = r.body.tokens;
    expect(token.status).to.equal("partial");
    expect(token.bound).to.equal(2);
    expect(token.notCheckable.map((n) => [n.datasetId, n.licenseId, n.model])).to.deep.equal([
      [s.datasets.d1, s.licenses.oneTime, "one_time"],
      [s.datasets.d2, s.licenses.subscription, "subscription"],
    ]);
    // d1 at 6000 bps exactly; d3's 500 units between 1333 and 3333 bps (the engine used 3333 for 200, 1333 for 300).
    const net = 10_000n - BigInt(t.common.config.platformFeeBps);
    const fmt = (x: bigint) => `${x / 100_000_000n}.${(x % 100_000_000n).toString().padStart(8, "0")}`;
    expect(token.parts.map((p) => [p.datasetId, p.units, p.min, p.max])).to.deep.equal([
      [s.datasets.d1, "100", fmt(700n * net * 6000n), fmt(700n * net * 6000n)],
      [s.datasets.d3, "500", fmt(3500n * net * 1333n), fmt(3500n * net * 3333n)],
    ]);
    // Without the responses that name the subscription and one-time licenses, the leaf is more than usage explains.
    const usageOnly = await cli([a, "--usage", files[2], "--file", one.file]);
    expect(usageOnly.code).to.equal(1);
    expect(usageOnly.body.mismatch).to.deep.include({ datasetId: s.datasets.d3, licenseId: s.licenses.perUse });
    expect(usageOnly.body.mismatch!.reason).to.match(/^the leaf grew by more than the usage explains/);
  });
});
