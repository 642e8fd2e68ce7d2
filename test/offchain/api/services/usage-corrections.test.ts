/**
 * Usage corrections (POST /v1/usage/corrections): before the close the event is voided and the corrected units are
 * billed instead; after it, the correction is a credit (Δunits × ratePerUnit) against the license's later charges,
 * published cumulatives never decrease, and unused credit is not refunded (only escrow left is). The scenario's
 * per-use license charges 7 per unit from an escrow of 5,000.
 */
import { expect } from "chai";
import request from "supertest";
import { closeEpoch, type CloseEpochResult } from "../../../../offchain/epochs";
import { auditExport, recomputeAudit } from "../../../../offchain/epochs/audit-export";
import { licenseBalance } from "../../../../offchain/api/services/licenses";
import { bearer, startTestApi, type TestApi } from "../../helpers/api";
import { rowCounts, TEST_DATABASE } from "../../helpers/database";
import { buildScenario, type Scenario } from "../../helpers/scenario";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`offchain/api/services/usage-corrections (${TEST_DATABASE})`, function () {
  let t: TestApi;
  let s: Scenario;
  beforeEach(async () => {
    // A 1 s late-usage grace: a cancelled per-use license's escrow is refunded by the first close a second later.
    t = await startTestApi({ LATE_USAGE_GRACE_SECONDS: "1" });
    s = await buildScenario(t);
  });
  afterEach(async () => t?.close());
  const deps = () => ({ prisma: t.db.prisma, common: t.common });

  const event = (key: string, units: string, licenseId = s.licenses.perUse) => ({
    licenseId,
    datasetId: licenseId === s.licenses.perUse ? s.datasets.d1 : s.datasets.d4,
    itemRef: `item-${key}`,
    units,
    occurredAt: new Date().toISOString(), // after the last close: on time, whatever the 1 s grace
    idempotencyKey: key,
  });
  async function report(...events: ReturnType<typeof event>[]) {
    const token = (await t.db.prisma.license.findUniqueOrThrow({ where: { id: s.licenses.revenueShare } })).token;
    // Revenue is stated in the license token.
    const body = events.map((e) => (e.licenseId === s.licenses.revenueShare ? { ...e, currency: token } : e));
    await request(t.app).post("/v1/usage").set("x-api-key", s.apiKey).send({ events: body }).expect(200);
  }
  async function balance() {
    const l = await t.db.prisma.license.findUniqueOrThrow({ where: { id: s.licenses.perUse } });
    return licenseBalance(t.db.prisma, l);
  }
  const correct = (corrections: object[], key = s.apiKey) =>
    request(t.app).post("/v1/usage/corrections").set("x-api-key", key).send({ corrections });
  const fix = (idempotencyKey: string, units: string, correctionKey: string, licenseId = s.licenses.perUse) => ({
    licenseId,
    idempotencyKey,
    units,
    correctionKey,
  });
  /** The per-use license's carried state after a close. */
  function perUseState(r: CloseEpochResult) {
    if (r.status !== "closed") throw new Error(`epoch ${r.epoch} empty: ${r.reason}`);
    return r.result.state.licenses.find((l) => l.licenseId === s.licenses.perUse)!;
  }
  async function close(): Promise<CloseEpochResult> {
    await sleep(1100); // each close ends on a later second than the one before
    return closeEpoch(deps(), "operator", {});
  }
  /** The epoch's audit export, replayed offline, rebuilds its published root and content hash, consistently. */
  async function expectReplayed(r: CloseEpochResult) {
    if (r.status !== "closed") throw new Error(`epoch ${r.epoch} empty`);
    const replay = await recomputeAudit(JSON.parse(JSON.stringify(await auditExport(deps(), r.epoch))));
    expect([replay.root, replay.contentHash, replay.inconsistencies]).to.deep.equal([r.root, r.contentHash, []]);
  }
  async function cumulatives(epoch: number) {
    const rows = await t.db.prisma.allocation.findMany({ where: { epochId: epoch } });
    return new Map(rows.map((r) => [`${r.account}:${r.token}`, BigInt(r.cumulative.toFixed())]));
  }

  it("before the close: the event is voided, the epoch bills the corrected units only", async () => {
    await report(event("k1", "10"));
    const res = await correct([fix("k1", "4", "c1")]).expect(200);
    expect(res.body).to.deep.equal({
      received: 1,
      applied: 1,
      duplicates: 0,
      corrections: [{ correctionKey: "c1", applied: "voided", credit: "0", duplicate: false }],
    });
    const rows = await t.db.prisma.usageEvent.findMany({
      where: { licenseId: s.licenses.perUse },
      orderBy: { idempotencyKey: "asc" },
    });
    expect(rows.map((r) => [r.idempotencyKey, r.units.toFixed(), r.voidedAt !== null])).to.deep.equal([
      ["k1", "10", true],
      ["k1~correction~c1", "4", false],
    ]);
    // Correcting again lowers from 4 (the replacement row is voided in turn): 4 → 1.
    await correct([fix("k1", "1", "c2")]).expect(200);
    const e1 = await close();
    // Billed 1 unit × 7 = 7, not 10 × 7 = 70 nor 4 × 7 = 28.
    expect(perUseState(e1).recognized).to.equal(7n);
    await expectReplayed(e1);
    // The receipt is the corrected event's; the voided original is in no commitment.
    const receipt = (key: string) =>
      request(t.app)
        .get(`/v1/licenses/${s.licenses.perUse}/usage-receipt`)
        .query({ idempotencyKey: key })
        .set(bearer(s.tokens.buyer));
    const ok = await receipt("k1~correction~c2").expect(200);
    expect([ok.body.epoch, ok.body.receipt.record.units]).to.deep.equal([1, "1"]);
    const voided = await receipt("k1").expect(409);
    expect(voided.body.detail).to.equal(
      "the event was voided by a correction before it was billed: it is in no commitment (its corrected event is)",
    );
  });

  it("after the close: a credit of Δunits × rate is set against the next epoch's charges; no cumulative decreases", async () => {
    await report(event("k1", "30"));
    const e1 = await close();
    expect(perUseState(e1).recognized).to.equal(210n); // 30 × 7
    const res = await correct([fix("k1", "20", "c1")]).expect(200);
    // (30 − 20) × 7 = 70
    expect(res.body.corrections).to.deep.equal([
      { correctionKey: "c1", applied: "credit", credit: "70", duplicate: false },
    ]);
    // The billed row is untouched: the published usage commitment still rebuilds.
    const k1 = await t.db.prisma.usageEvent.findFirstOrThrow({ where: { idempotencyKey: "k1" } });
    expect([k1.units.toFixed(), k1.voidedAt]).to.deep.equal(["30", null]);
    // Nothing unbilled yet: charges max(0, 0 − 70) = 0 (unused credit is no money), available 5,000 − 210 = 4,790.
    expect(await balance()).to.deep.include({ escrow: "4790", charges: "0", available: "4790" });
    await report(event("k2", "15"));
    // The balance counts the pending credit: charges 15 × 7 − 70 = 35, available 4,790 − 35 = 4,755.
    expect(await balance()).to.deep.include({ escrow: "4790", charges: "35", available: "4755" });
    const e2 = await close();
    // Due 15 × 7 = 105, less the credit 70: 35 recognized; to date 210 + 35 = 245.
    const st = perUseState(e2);
    expect([st.recognized, st.credit]).to.deep.equal([245n, []]);
    const correction = await t.db.prisma.usageCorrection.findFirstOrThrow({ where: { correctionKey: "c1" } });
    expect(correction.settledEpoch).to.equal(2);
    // The audit export replays each epoch with the credits it settled, and only those.
    expect((await auditExport(deps(), 2)).input.credits).to.deep.equal([
      { licenseId: s.licenses.perUse, datasetId: s.datasets.d1, amount: "70" },
    ]);
    expect((await auditExport(deps(), 1)).input.credits).to.deep.equal([]);
    await expectReplayed(e2);
    const [c1, c2] = [await cumulatives(1), await cumulatives(2)];
    for (const [leaf, before] of c1)
      expect(c2.get(leaf)! >= before, `${leaf} ${before} → ${c2.get(leaf)}`).to.equal(true);
    // Settled: the third close does not credit it again (nothing more is recognized without usage).
    const e3 = await close();
    expect(e3.status === "empty" || perUseState(e3).recognized === 245n).to.equal(true);
  });

  it("credit beyond later charges: the rest waits as credit; at the end only escrow left is refunded", async () => {
    await report(event("k1", "30"));
    await close(); // recognized 30 × 7 = 210
    const res = await correct([fix("k1", "0", "c1")]).expect(200);
    expect(res.body.corrections[0].credit).to.equal("210"); // (30 − 0) × 7
    await report(event("k2", "10"));
    const e2 = await close();
    // Due 10 × 7 = 70, all of it covered by the credit: 0 recognized, 210 − 70 = 140 of credit carried.
    const st = perUseState(e2);
    expect([st.recognized, st.credit]).to.deep.equal([210n, [{ datasetId: s.datasets.d1, amount: 140n }]]);
    await request(t.app).post(`/v1/licenses/${s.licenses.perUse}/cancel`).set(bearer(s.tokens.buyer)).expect(200);
    await sleep(1100); // past the 1 s late-usage grace
    const e3 = await close();
    // Refund = deposited − recognized = 5,000 − 210 = 4,790; the unused 140 was paid to creators in epoch 1.
    expect(perUseState(e3).refunded).to.equal(4790n);
    const buyerLeaf = (await cumulatives(3)).get(`${s.buyer.address.toLowerCase()}:${st.token}`);
    expect(buyerLeaf).to.equal(4790n);
  });

  it("a veto returns a settled credit to the pool: the next close credits it again", async () => {
    await report(event("k1", "30"));
    await close(); // 210
    await correct([fix("k1", "20", "c1")]).expect(200); // credit 70
    await report(event("k2", "15"));
    await close(); // epoch 2: 105 − 70 = 35
    await t.db.prisma.epoch.update({ where: { id: 2 }, data: { status: "vetoed" } });
    const e3 = await close();
    // Recomputed from epoch 1's state: the same 15 units and the same credit, 210 + 35 = 245.
    expect(perUseState(e3).recognized).to.equal(245n);
    const correction = await t.db.prisma.usageCorrection.findFirstOrThrow({ where: { correctionKey: "c1" } });
    expect(correction.settledEpoch).to.equal(3);
  });

  it("idempotent per correctionKey: the same correction is a duplicate, another under the same key is 409", async () => {
    await report(event("k1", "10"));
    await correct([fix("k1", "4", "c1")]).expect(200);
    const before = await rowCounts(t.db);
    const again = await correct([fix("k1", "4", "c1")]).expect(200);
    expect(again.body).to.deep.equal({
      received: 1,
      applied: 0,
      duplicates: 1,
      corrections: [{ correctionKey: "c1", applied: "voided", credit: "0", duplicate: true }],
    });
    const reused = await correct([fix("k1", "3", "c1")]).expect(409);
    expect(reused.headers["content-type"]).to.match(/^application\/problem\+json/);
    expect(reused.body.errors).to.deep.equal([
      {
        index: 0,
        code: "correction-key-reused",
        path: "/corrections/0/correctionKey",
        message: "already stored for a different correction",
      },
    ]);
    expect(await rowCounts(t.db)).to.deep.equal(before);
  });

  it("another buyer's event is 404, bad items refuse the whole batch (4xx problem+json), nothing changes", async () => {
    await report(event("k1", "10"), event("k2", "10"), event("r1", "1000", s.licenses.revenueShare));
    const before = await rowCounts(t.db);
    const other = await correct([fix("k1", "4", "c1")], s.otherApiKey).expect(404);
    expect(other.headers["content-type"]).to.match(/^application\/problem\+json/);
    expect(other.body.errors.map((e: { code: string }) => e.code)).to.deep.equal(["unknown-event"]);
    // One good item and one raising the units: the good one is not applied either.
    const higher = await correct([fix("k1", "4", "c1"), fix("k2", "11", "c2")]).expect(422);
    expect(higher.body.errors).to.deep.equal([
      {
        index: 1,
        code: "units-not-lower",
        path: "/corrections/1/units",
        message: "a correction lowers the units: currently 10",
      },
    ]);
    await correct([fix("k1", "4", "c1"), fix("nope", "1", "c2")]).expect(404);
    await correct([fix("k1", "4", "c1"), fix("k2", "4", "c1")]).expect(422); // correctionKey repeated
    await correct([{ ...fix("k1", "4", "c1"), units: "-1" }]).expect(400);
    await correct([{ ...fix("k1", "4", "c1"), extra: 1 }]).expect(400);
    expect(await rowCounts(t.db)).to.deep.equal(before);
    // Revenue share: before the close it is corrected like per-use; after, 422.
    await close();
    const rs = await correct([fix("r1", "500", "c3", s.licenses.revenueShare)]).expect(422);
    expect(rs.body.errors[0].code).to.equal("correction-after-close-unsupported");
  });
});
