/**
 * The whole story through the HTTP API: creators, datasets, consent, one license of each model, usage, epoch
 * close → the stored allocations equal the settlement engine's on the same facts, and every proof verifies.
 *
 * Every test starts from a fixture of its own (an emptied database, then the marketplace of helpers/scenario.ts,
 * optionally with the standard usage and epoch 1 closed), so any one of them runs alone (MOCHA_GREP) and in any
 * order. Epoch 1 ends 10 s in the past, so epoch 2 can end at "now" without waiting for the clock.
 */
import { expect } from "chai";
import request from "supertest";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { standardLeafHash } from "@openzeppelin/merkle-tree/dist/hashes";
import { MerkleTree } from "merkletreejs";
import type { Address, Hex } from "viem";
import { keccak256 } from "viem";
import { allocate, SettlementInputSchema } from "../../../offchain/settlement";
import { readDistributionFile, verifyProof } from "../../../offchain/merkle";
import { carriedState } from "../../../offchain/epochs";
import { bearer, startTestApi, TOKEN, TREASURY, type TestApi } from "../helpers/api";
import { TEST_DATABASE } from "../helpers/database";
import { insertConfirmedDeposit } from "../helpers/deposits";
import { buildScenario, HOUR, type Scenario } from "../helpers/scenario";

const MIN = 60_000;

describe(`API full flow (${TEST_DATABASE})`, function () {
  let t: TestApi;
  let s: Scenario;
  before(async () => {
    t = await startTestApi();
  });
  after(async () => t?.close());

  const at = (offsetMs: number) => new Date(s.licenseStart.getTime() + offsetMs).toISOString();
  const ev = (
    licenseId: string,
    datasetId: string,
    itemRef: string,
    units: string,
    occurredAt: string,
    idempotencyKey: string,
  ) => ({
    licenseId,
    datasetId,
    itemRef,
    units,
    occurredAt,
    idempotencyKey,
    // Revenue is stated in the license token (required for revenue-share reports).
    ...(licenseId === s.licenses.revenueShare ? { currency: TOKEN } : {}),
  });
  const usage = (events: object[], key = s.apiKey) =>
    request(t.app).post("/v1/usage").set("x-api-key", key).send({ events });

  /** Epoch 1 ends this long before the clock's now, so epoch 2 can end at now without waiting. */
  const EPOCH_ONE_LEAD_MS = 10_000;

  /** Fixture: the marketplace on an emptied database, placed so that epoch 1 can end two hours after it starts. */
  async function marketplace(): Promise<void> {
    await t.reset();
    s = await buildScenario(t, { now: Date.now() - EPOCH_ONE_LEAD_MS });
  }

  /** The usage every epoch-1 test settles: per-use on d1 (500 units) and d3 (400), revenue 3,000,000 on d4. */
  const epochOneUsage = () => [
    ev(s.licenses.perUse, s.datasets.d1, "clip-1", "300", at(10 * MIN), "u-1"),
    ev(s.licenses.perUse, s.datasets.d1, "clip-2", "200", at(20 * MIN), "u-2"),
    ev(s.licenses.perUse, s.datasets.d3, "img-1", "400", at(30 * MIN), "u-3"),
    ev(s.licenses.revenueShare, s.datasets.d4, "model-v1", "2000000", at(40 * MIN), "r-1"),
    ev(s.licenses.revenueShare, s.datasets.d4, "model-v1", "1000000", at(50 * MIN), "r-2"),
  ];

  /** Fixture: the marketplace with the standard usage, and epoch 1 closed through the operator route. */
  async function epochOneClosed() {
    await marketplace();
    await usage(epochOneUsage()).expect(200);
    const endsAt = new Date(Math.floor((Date.now() - EPOCH_ONE_LEAD_MS) / 1000) * 1000);
    const closed = await request(t.app)
      .post("/v1/operator/epochs")
      .set(bearer(s.tokens.operator))
      .send({ endsAt: endsAt.toISOString() });
    expect(closed.status, JSON.stringify(closed.body)).to.equal(201);
    return { closed, endsAt, expected: expectedEpochOne(endsAt) };
  }

  it("an exclusive overlapping license is refused with 409 naming the dataset, scope and window", async () => {
    await marketplace();
    const res = await request(t.app)
      .post("/v1/licenses")
      .set(bearer(s.tokens.otherBuyer))
      .send({ offerId: s.offers.perUse, startsAt: at(HOUR) });
    expect(res.status).to.equal(409);
    expect(res.headers["content-type"]).to.match(/problem\+json/);
    expect(res.body.conflict).to.include({ datasetId: s.datasets.d1, scope: "inference", exclusive: true });
    expect(res.body.detail).to.include(s.datasets.d1);
    expect(JSON.stringify(res.body)).to.not.include(s.buyer.address.toLowerCase());
  });

  it("accepts usage, counts a re-sent batch once, and rejects a batch with one bad event entirely (422, per-event errors)", async () => {
    await marketplace();
    const batch = epochOneUsage();
    expect((await usage(batch).expect(200)).body).to.deep.equal({ received: 5, accepted: 5, duplicates: 0 });
    expect((await usage(batch).expect(200)).body).to.deep.equal({ received: 5, accepted: 0, duplicates: 5 });
    expect(await t.db.prisma.usageEvent.count()).to.equal(5);

    const bad = await usage([
      ev(s.licenses.perUse, s.datasets.d1, "clip-3", "5", at(55 * MIN), "u-4"),
      ev(s.licenses.perUse, s.datasets.d2, "x", "5", at(55 * MIN), "u-5"), // d2 is not in the per-use bundle
      ev(s.licenses.perUse, s.datasets.d1, "x", "5", at(-MIN), "u-6"), // before the license starts
    ]);
    expect(bad.status).to.equal(422);
    expect(bad.body.errors.map((r: { index: number; code: string }) => [r.index, r.code])).to.deep.equal([
      [1, "unknown-dataset"],
      [2, "license-inactive"],
    ]);
    expect(await t.db.prisma.usageEvent.count()).to.equal(5);
  });

  it("a buyer cannot report usage on another buyer's license (422 unknown-license, nothing stored)", async () => {
    await marketplace();
    await usage(epochOneUsage()).expect(200);
    const res = await usage([ev(s.licenses.perUse, s.datasets.d1, "clip-9", "1", at(HOUR), "x-1")], s.otherApiKey);
    expect(res.status).to.equal(422);
    expect(res.body.errors[0].code).to.equal("unknown-license");
    expect(await t.db.prisma.usageEvent.count()).to.equal(5);
  });

  it("usage of an item after its consent was revoked is rejected; before the revocation it is accepted", async () => {
    await marketplace();
    const revokedAt = at(70 * MIN);
    await request(t.app)
      .post(`/v1/consents/${s.consentId}/revoke`)
      .set(bearer(s.tokens.creatorA))
      .send({ revokedAt })
      .expect(200);
    const after = await usage([ev(s.licenses.oneTime, s.datasets.d1, "clip-7", "1", at(71 * MIN), "c-1")]);
    expect(after.status).to.equal(422);
    expect(after.body.errors[0].code).to.equal("consent-revoked");
    const before = await usage([ev(s.licenses.oneTime, s.datasets.d1, "clip-7", "1", at(69 * MIN), "c-2")]);
    expect(before.status, JSON.stringify(before.body)).to.equal(200);
  });

  /** The engine on epoch 1's facts, written out here independently of the service's row mapping. */
  function expectedEpochOne(endsAt: Date): ReturnType<typeof allocate> {
    const secs = (d: Date) => Math.floor(d.getTime() / 1000);
    const start = secs(s.licenseStart);
    return allocate(
      SettlementInputSchema.parse({
        window: { epoch: 1, start: 0, end: secs(endsAt) },
        platformFee: { bps: 250, treasury: TREASURY },
        datasets: [
          {
            id: s.datasets.d1,
            contributors: [
              { account: s.creatorA.address, bps: 6000 },
              { account: s.contributor, bps: 4000 },
            ],
          },
          { id: s.datasets.d2, contributors: [{ account: s.creatorA.address, bps: 10_000 }] },
          {
            id: s.datasets.d3,
            contributors: [
              { account: s.creatorA.address, bps: 3333 },
              { account: s.contributor, bps: 6667 },
            ],
          },
          { id: s.datasets.d4, contributors: [{ account: s.creatorB.address, bps: 10_000 }] },
        ],
        licenses: [
          {
            id: s.licenses.oneTime,
            token: TOKEN,
            datasets: [{ datasetId: s.datasets.d1, weight: 10_000 }],
            model: { kind: "oneTime", fee: "1000000" },
          },
          {
            id: s.licenses.subscription,
            token: TOKEN,
            datasets: [{ datasetId: s.datasets.d2, weight: 10_000 }],
            model: { kind: "subscription", feePerPeriod: "360000", periodSeconds: 3600, start, maxPeriods: 4 },
          },
          {
            id: s.licenses.perUse,
            token: TOKEN,
            model: { kind: "perUse", ratePerUnit: "7" },
            datasets: [
              { datasetId: s.datasets.d1, weight: 7000 },
              { datasetId: s.datasets.d3, weight: 3000 },
            ],
            exclusivity: [s.datasets.d1, s.datasets.d3].map((datasetId) => ({
              datasetId,
              scope: "inference",
              start,
              end: start + 4 * 3600,
            })),
          },
          {
            id: s.licenses.revenueShare,
            token: TOKEN,
            datasets: [{ datasetId: s.datasets.d4, weight: 10_000 }],
            model: { kind: "revenueShare", bps: 1500 },
          },
        ],
        deposits: [
          { licenseId: s.licenses.oneTime, token: TOKEN, amount: "1000000" },
          { licenseId: s.licenses.subscription, token: TOKEN, amount: "720000" },
          { licenseId: s.licenses.perUse, token: TOKEN, amount: "5000" },
          { licenseId: s.licenses.revenueShare, token: TOKEN, amount: "1000000" },
        ],
        usage: [
          { licenseId: s.licenses.perUse, datasetId: s.datasets.d1, epoch: 1, units: "500" },
          { licenseId: s.licenses.perUse, datasetId: s.datasets.d3, epoch: 1, units: "400" },
        ],
        revenue: [{ licenseId: s.licenses.revenueShare, datasetId: s.datasets.d4, epoch: 1, revenue: "3000000" }],
        previous: null,
      }),
    );
  }

  it("closing the epoch stores exactly the settlement engine's allocations, and every proof verifies", async () => {
    const { closed, expected } = await epochOneClosed();
    const stored = await t.db.prisma.allocation.findMany({
      where: { epochId: 1 },
      orderBy: [{ account: "asc" }, { token: "asc" }],
    });
    expect(stored.map((a) => [a.account, a.token, a.amount.toFixed(), a.cumulative.toFixed()])).to.deep.equal(
      expected.allocations.map((a) => [a.account, a.token, a.amount.toString(), a.cumulative.toString()]),
    );
    expect(closed.body.totals).to.deep.equal(
      expected.totals.map((x) => ({
        token: x.token,
        amount: x.amount.toString(),
        cumulative: x.cumulative.toString(),
      })),
    );
    // The per-use escrow (5,000) could not cover 900 units × 7 = 6,300: the shortfall is carried, not invented.
    expect(expected.report.tokens[0].carriedForward.amount).to.equal(1300n);

    const epoch = (await request(t.app).get("/v1/epochs/1").expect(200)).body;
    expect(epoch).to.include({
      epoch: 1,
      status: "computed",
      root: closed.body.root,
      contentHash: closed.body.contentHash,
    });
    const file = await request(t.app)
      .get("/v1/epochs/1/distribution")
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => cb(null, Buffer.concat(chunks)));
      })
      .expect(200);
    const bytes = file.body as Buffer;
    expect(keccak256(bytes)).to.equal(epoch.contentHash);
    const rebuilt = await readDistributionFile(
      (async function* () {
        yield bytes;
      })(),
    );
    expect(rebuilt.distribution.root).to.equal(epoch.root);

    // The root rebuilt independently from the engine's allocations, not merely compared with a library root: the
    // leaves are the same (the file's leaves, in canonical account-then-token order, are the engine's cumulative
    // allocations), the encoding is the same (each leaf hash is OpenZeppelin's standard leaf of
    // (address, address, uint256)), and the shape is the one the tree documents (merkletreejs, sortPairs). An
    // OpenZeppelin StandardMerkleTree of these leaves would re-sort them by hash and lay them out as a complete
    // tree: its root equals ours only by chance. It did here (the former check): these four leaves in account order
    // happen to be in descending hash order, so both shapes pair the same leaves.
    const leaves = expected.allocations.map((a) => [a.account, a.token, a.cumulative] as const);
    expect(leaves.length).to.equal(4);
    const d = rebuilt.distribution;
    expect(
      Array.from({ length: d.leafCount }, (_, i) => [d.leaves.accounts[i], d.leaves.tokens[i], d.leaves.amounts[i]]),
    ).to.deep.equal(leaves);
    const hashes = leaves.map((v) => standardLeafHash(["address", "address", "uint256"], [...v]));
    expect(hashes.map((_, i) => d.tree.leaf(i))).to.deep.equal(hashes);
    const keccak = (data: Buffer) => Buffer.from(keccak256(data, "bytes"));
    expect(new MerkleTree(hashes, keccak, { sortPairs: true }).getHexRoot()).to.equal(epoch.root);
    // The check can fail: one base unit more on one leaf changes the independently built root.
    const bumped = [
      ...hashes.slice(0, -1),
      standardLeafHash(["address", "address", "uint256"], [...leaves[3].slice(0, 2), leaves[3][2] + 1n]),
    ];
    expect(new MerkleTree(bumped, keccak, { sortPairs: true }).getHexRoot()).to.not.equal(epoch.root);
    for (const a of expected.allocations) {
      const res = await request(t.app).get(`/v1/proofs/${a.account}`).expect(200);
      const p = res.body.proofs.find((x: { token: string }) => x.token === a.token);
      expect(p, a.account).to.include({
        cumulative: a.cumulative.toString(),
        claimed: "0",
        claimable: "0",
        epoch: 1,
        root: epoch.root,
      });
      expect(
        verifyProof(
          epoch.root as Hex,
          { account: a.account as Address, token: a.token as Address, cumulativeAmount: a.cumulative },
          p.proof,
        ),
      ).to.equal(true);
      expect(
        StandardMerkleTree.verify(
          epoch.root,
          ["address", "address", "uint256"],
          [a.account, a.token, a.cumulative.toString()],
          p.proof,
        ),
      ).to.equal(true);
    }
  });

  it("public routes expose tree data and aggregates only: no buyer, usage item, consent subject or key", async () => {
    await epochOneClosed();
    const publicText = (
      await Promise.all(
        [
          "/v1/epochs",
          "/v1/epochs/1",
          "/v1/epochs/1/distribution",
          `/v1/proofs/${s.creatorA.address}`,
          `/v1/proofs/${s.contributor}`,
          `/v1/proofs/${TREASURY}`,
        ].map(async (p) => (await request(t.app).get(p).expect(200)).text),
      )
    ).join("\n");
    for (const secret of [
      s.buyer.address.toLowerCase(),
      s.buyer.address,
      "Buyer Labs",
      "alice@example.org",
      "clip-1",
      "img-1",
      "model-v1",
      s.apiKey,
      "u-1",
    ]) {
      expect(publicText, secret).to.not.include(secret);
    }
    // A creator sees their consent receipts (hash and salt), never the subject itself.
    const receipts = (
      await request(t.app).get(`/v1/datasets/${s.datasets.d1}/consents`).set(bearer(s.tokens.creatorA)).expect(200)
    ).text;
    expect(receipts).to.not.include("alice@example.org");
    const stored = JSON.stringify(await t.db.prisma.consentRecord.findMany());
    expect(stored).to.not.include("alice@example.org");
  });

  it("once the epoch is claimable on-chain, claimable = cumulative − claimed", async () => {
    await epochOneClosed();
    await t.db.prisma.epoch.update({ where: { id: 1 }, data: { status: "claimable" } });
    const a = s.creatorA.address.toLowerCase();
    await t.db.prisma.claimedTotal.create({ data: { account: a, token: TOKEN, claimed: "1000" } });
    const res = (await request(t.app).get("/v1/creators/me/claimable").set(bearer(s.tokens.creatorA)).expect(200)).body;
    const p = res.proofs[0];
    expect(BigInt(p.claimable)).to.equal(BigInt(p.cumulative) - 1000n);
    const earnings = (await request(t.app).get("/v1/creators/me/earnings").set(bearer(s.tokens.creatorA)).expect(200))
      .body;
    expect(earnings).to.deep.equal([{ epoch: 1, token: TOKEN, amount: p.cumulative, cumulative: p.cumulative }]);
  });

  it("late usage in the closed epoch is accepted within the grace (billed next epoch); the audit log shows the close", async () => {
    await epochOneClosed();
    const late = await usage([ev(s.licenses.perUse, s.datasets.d1, "clip-4", "1", at(80 * MIN), "late-1")]);
    expect(late.status).to.equal(200);
    expect(late.body.accepted).to.equal(1);
    const log = (await request(t.app).get("/v1/audit-log").set(bearer(s.tokens.auditor)).expect(200)).body as {
      action: string;
    }[];
    expect(log.map((e) => e.action)).to.include.members(["role.granted", "epoch.closed"]);
  });

  it("epoch 2 chains on epoch 1's stored state: a new deposit pays the carried shortfall, cumulatives only grow", async () => {
    const { endsAt: epoch1End, expected } = await epochOneClosed();
    await insertConfirmedDeposit(t.db, {
      licenseId: s.licenses.perUse,
      token: TOKEN,
      amount: 10_000n,
      payer: s.buyer.address.toLowerCase(),
      blockNumber: 11n,
    });
    const occurredAt = new Date(epoch1End.getTime() + 500).toISOString();
    await usage([ev(s.licenses.perUse, s.datasets.d3, "img-9", "100", occurredAt, "e2-1")]).expect(200);
    const endsAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const closed = await request(t.app)
      .post("/v1/operator/epochs")
      .set(bearer(s.tokens.operator))
      .send({ endsAt: endsAt.toISOString() });
    expect(closed.status, JSON.stringify(closed.body)).to.equal(201);
    expect(closed.body.epoch).to.equal(2);

    const prevInput = expected;
    const stored1 = await t.db.prisma.epoch.findUniqueOrThrow({ where: { id: 1 } });
    // The state stored with epoch 1 (its column and its allocations' cumulative list) is exactly the engine's
    // state, amounts as decimal strings.
    expect(await t.db.prisma.$transaction((tx) => carriedState(tx, 1))).to.deep.equal(
      JSON.parse(JSON.stringify(prevInput.state, (_k, v) => (typeof v === "bigint" ? v.toString() : v))),
    );
    const a1 = await t.db.prisma.allocation.findMany({ where: { epochId: 1 } });
    const a2 = await t.db.prisma.allocation.findMany({ where: { epochId: 2 } });
    const cum1 = new Map(a1.map((a) => [`${a.account}|${a.token}`, BigInt(a.cumulative.toFixed())]));
    for (const a of a2) {
      const before = cum1.get(`${a.account}|${a.token}`) ?? 0n;
      expect(BigInt(a.cumulative.toFixed())).to.equal(before + BigInt(a.amount.toFixed()));
    }
    // 1,300 carried + 100 units × 7 = 2,000 recognized for the per-use license in epoch 2 (this test's own fixture
    // has no late event; the late-usage test above bills its event in the next open epoch on its own fixture).
    const report = stored1.report as { tokens: { carriedForward: { amount: string } }[] };
    expect(report.tokens[0].carriedForward.amount).to.equal("1300");
    const report2 = (await t.db.prisma.epoch.findUniqueOrThrow({ where: { id: 2 } })).report as {
      tokens: { recognized: { perUse: string }; carriedForward: { amount: string } }[];
    };
    expect(report2.tokens[0].recognized.perUse).to.equal("2000");
    expect(report2.tokens[0].carriedForward.amount).to.equal("0");
    const deposits = await t.db.prisma.deposit.findMany();
    expect(deposits.filter((d) => d.settledEpoch === 1)).to.have.length(4);
    expect(deposits.filter((d) => d.settledEpoch === 2)).to.have.length(1);
  });
});
