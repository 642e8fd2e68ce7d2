/**
 * Usage-inclusion receipts end to end: the close commits to every billed event and (license, dataset) aggregate and
 * writes the root into the distribution file's header; the buyer's receipt for each of its events verifies against
 * that header and a tampered one fails; a receipt names only its own record and has the same size whatever the
 * number of other events; the creator's aggregates, put in place of the engine's usage input, reproduce the file.
 */
import { expect } from "chai";
import request from "supertest";
import type { Hex } from "viem";
import { closeEpoch, settlementInput, type ClosedEpoch } from "../../../../offchain/epochs";
import { distributionStoreOf } from "../../../../offchain/files";
import { readDistributionFile } from "../../../../offchain/merkle";
import {
  usageEventLeaf,
  usageEventRef,
  verifyUsageReceipt,
  type UsageEventRecord,
  type UsageReceipt,
} from "../../../../offchain/merkle/usage-commitment";
import { allocate, SettlementInputSchema } from "../../../../offchain/settlement";
import { seededRandom } from "../../../../offchain/common/seeded-random";
import { bearer, startTestApi, TOKEN, type TestApi } from "../../helpers/api";
import { TEST_DATABASE } from "../../helpers/database";
import { buildScenario, type Scenario } from "../../helpers/scenario";

describe(`offchain/api/services/usage-receipts (${TEST_DATABASE})`, function () {
  this.timeout(120_000);
  let t: TestApi;
  let s: Scenario;
  const T = Math.floor(Date.now() / 1000) * 1000;
  beforeEach(async () => {
    t = await startTestApi();
    s = await buildScenario(t, { now: T });
  });
  afterEach(async () => t?.close());
  const deps = () => ({ prisma: t.db.prisma, common: t.common });

  type Sent = { licenseId: string; datasetId: string; idempotencyKey: string; units: string };
  async function report(events: (Sent & { occurredAt: Date })[]): Promise<void> {
    const body = {
      events: events.map((e) => ({
        ...e,
        itemRef: `item-${e.idempotencyKey}`,
        occurredAt: e.occurredAt.toISOString(),
        // Revenue is stated in its currency, which must be the license token.
        ...(e.licenseId === s.licenses.revenueShare ? { currency: TOKEN } : {}),
      })),
    };
    const r = await request(t.app).post("/v1/usage").set("x-api-key", s.apiKey).send(body);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(r.body).to.deep.equal({ received: events.length, accepted: events.length, duplicates: 0 });
  }
  async function close(end: number): Promise<ClosedEpoch> {
    const r = await closeEpoch(deps(), "operator", { endsAt: new Date(end).toISOString() });
    if (r.status !== "closed") throw new Error(r.reason);
    return r;
  }
  async function header(contentHash: string) {
    const stored = await distributionStoreOf(t.common).open(contentHash);
    return readDistributionFile(stored.stream);
  }
  const receiptOf = (licenseId: string, idempotencyKey: string, token = s.tokens.buyer) =>
    request(t.app).get(`/v1/licenses/${licenseId}/usage-receipt`).query({ idempotencyKey }).set(bearer(token));

  /** Random per-use and revenue events in [from, to), same units width so receipt sizes are comparable. */
  function randomEvents(seed: number, n: number, from: number, to: number, tag: string) {
    const rnd = seededRandom(seed);
    return Array.from({ length: n }, (_, i) => {
      const perUse = rnd() < 0.7;
      return {
        licenseId: perUse ? s.licenses.perUse : s.licenses.revenueShare,
        datasetId: perUse ? (rnd() < 0.5 ? s.datasets.d1 : s.datasets.d3) : s.datasets.d4,
        idempotencyKey: `${tag}-${i}`,
        units: String(10 + Math.floor(rnd() * 90)),
        occurredAt: new Date(from + Math.floor(rnd() * (to - from))),
      };
    });
  }

  it("every billed event of two random epochs has a receipt that verifies against its file's usageRoot; tampering fails", async () => {
    const end1 = T - 30_000;
    const epochOne = randomEvents(1, 12, s.licenseStart.getTime(), end1, "e1");
    const epochTwo = randomEvents(2, 3, end1, T - 5_000, "e2");
    await report([...epochOne, ...epochTwo]);
    const one = await close(end1);
    const two = await close(T);
    const receipts: Record<string, UsageReceipt> = {};
    for (const [closed, events] of [
      [one, epochOne],
      [two, epochTwo],
    ] as const) {
      const file = await header(closed.contentHash);
      expect(file.header.usageRoot).to.equal(closed.usageRoot);
      const row = await t.db.prisma.epoch.findUniqueOrThrow({ where: { id: closed.epoch } });
      expect(row.usageRoot).to.equal(closed.usageRoot);
      // The secret is kept, and not in the published file.
      expect(row.usageSecret).to.match(/^0x[0-9a-f]{64}$/);
      const bytes = (await distributionStoreOf(t.common).open(closed.contentHash)).stream;
      let text = "";
      for await (const c of bytes) text += c.toString();
      expect(text).to.not.contain(row.usageSecret!.slice(2));
      for (const e of events) {
        const r = await receiptOf(e.licenseId, e.idempotencyKey);
        expect(r.status, JSON.stringify(r.body)).to.equal(200);
        expect(r.body.epoch).to.equal(closed.epoch);
        expect(r.body.contentHash).to.equal(closed.contentHash);
        const receipt = r.body.receipt as UsageReceipt;
        expect(receipt.record).to.deep.equal({
          kind: "event",
          licenseId: e.licenseId,
          datasetId: e.datasetId,
          eventRef: usageEventRef(e.licenseId, e.idempotencyKey),
          units: e.units,
        });
        expect(verifyUsageReceipt(receipt, file.header.usageRoot as Hex)).to.deep.equal({ ok: true });
        receipts[e.idempotencyKey] = receipt;
      }
    }
    const r = receipts["e1-0"];
    const tampered = [
      { ...r, record: { ...r.record, units: String(Number(r.record.units) + 1) } },
      { ...r, record: { ...r.record, datasetId: s.datasets.d2 } },
      { ...r, salt: receipts["e1-1"].salt },
      { ...r, proof: [...r.proof.slice(0, -1), r.proof[0]] },
    ];
    for (const x of tampered) expect(verifyUsageReceipt(x, one.usageRoot).ok).to.equal(false);
    // A receipt of epoch 1 does not verify against epoch 2's root, even relabelled as epoch 2 (an event leaf holds no
    // epoch: its root is epoch 1's, which only epoch 1's file header names).
    expect(verifyUsageReceipt(r, two.usageRoot).ok).to.equal(false);
    expect(verifyUsageReceipt({ ...r, epoch: 2, root: two.usageRoot }, two.usageRoot).ok).to.equal(false);
    // The receipt's salt is the one stored with the event at ingestion (random, 32 bytes), and its leaf the stored one.
    const stored = await t.db.prisma.usageEvent.findFirstOrThrow({
      where: { idempotencyKey: "e1-0" },
      select: { commitmentSalt: true, commitmentLeaf: true },
    });
    expect(`0x${Buffer.from(stored.commitmentSalt!).toString("hex")}`).to.equal(r.salt);
    expect(`0x${Buffer.from(stored.commitmentLeaf!).toString("hex")}`).to.equal(
      usageEventLeaf(r.salt as Hex, r.record as UsageEventRecord),
    );
    expect(new Set(Object.values(receipts).map((x) => x.salt)).size).to.equal(Object.keys(receipts).length);

    // Privacy: a receipt names no other event, and its size does not depend on how many other events there were.
    const text = JSON.stringify(receipts["e1-0"]);
    for (const e of [...epochOne.slice(1), ...epochTwo]) {
      expect(text).to.not.contain(usageEventRef(e.licenseId, e.idempotencyKey).slice(2));
      expect(text).to.not.contain(`"${e.idempotencyKey}"`);
    }
    const sameKind = epochTwo.find((e) => e.licenseId === epochOne[0].licenseId);
    if (sameKind) expect(JSON.stringify(receipts[sameKind.idempotencyKey]).length).to.equal(text.length);
    expect(receipts["e1-0"].proof.length).to.equal(receipts["e2-0"].proof.length);
  });

  it("only the buyer gets its receipts: another buyer's or a creator's request is 404/403; not yet billed is 409", async () => {
    const end1 = T - 30_000;
    const [k] = randomEvents(3, 1, s.licenseStart.getTime(), end1, "k");
    await report([k]);
    const pending = await receiptOf(k.licenseId, "k-0");
    expect(pending.status).to.equal(409);
    expect(pending.body.detail).to.match(/^the event is not billed yet: no closed epoch holds /);
    await close(end1);
    expect((await receiptOf(k.licenseId, "k-0", s.tokens.otherBuyer)).status).to.equal(404);
    expect((await receiptOf(k.licenseId, "k-0", s.tokens.creatorA)).status).to.equal(403);
    const missing = await receiptOf(k.licenseId, "no-such-key");
    expect(missing.status).to.equal(404);
    expect(missing.body.detail).to.equal(`usage event "no-such-key" of license ${k.licenseId} not found`);
    expect((await receiptOf(k.licenseId, "k-0")).status).to.equal(200);
  });

  it("events stored without a commitment (before leaves moved to ingestion) get one at the close, and their receipts verify", async () => {
    const end1 = T - 30_000;
    const events = randomEvents(5, 6, s.licenseStart.getTime(), end1, "old");
    await report(events);
    await t.db.prisma.$executeRaw`UPDATE usage_events SET commitment_salt = NULL, commitment_leaf = NULL`;
    const one = await close(end1);
    const left = await t.db.prisma.usageEvent.count({ where: { commitmentLeaf: null } });
    expect(left).to.equal(0);
    for (const e of events) {
      const r = await receiptOf(e.licenseId, e.idempotencyKey);
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
      const receipt = r.body.receipt as UsageReceipt;
      expect(receipt.record).to.deep.equal({
        kind: "event",
        licenseId: e.licenseId,
        datasetId: e.datasetId,
        eventRef: usageEventRef(e.licenseId, e.idempotencyKey),
        units: e.units,
      });
      expect(verifyUsageReceipt(receipt, one.usageRoot)).to.deep.equal({ ok: true });
    }
  });

  it("a creator's aggregates verify, sum its datasets' events, and in place of the engine's usage reproduce the file", async () => {
    const end1 = T - 30_000;
    const events = randomEvents(4, 20, s.licenseStart.getTime(), end1, "c");
    await report(events);
    // The engine input as the close will read it (before the close marks deposits settled).
    const { raw } = await t.db.prisma.$transaction((tx) => settlementInput(tx, deps(), 1, new Date(0), new Date(end1)));
    const one = await close(end1);
    const file = await header(one.contentHash);
    const usage: { licenseId: string; datasetId: string; epoch: number; units: string }[] = [];
    const revenue = new Map<string, bigint>();
    for (const [token, datasetId] of [
      [s.tokens.creatorA, s.datasets.d1],
      [s.tokens.creatorA, s.datasets.d3],
      [s.tokens.creatorB, s.datasets.d4],
    ] as const) {
      const r = await request(t.app).get(`/v1/datasets/${datasetId}/usage-receipts/1`).set(bearer(token));
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
      const mine = events.filter((e) => e.datasetId === datasetId);
      expect(r.body.aggregates.length).to.equal(mine.length > 0 ? 1 : 0);
      for (const a of r.body.aggregates as { receipt: UsageReceipt; terms: Record<string, unknown> }[]) {
        expect(verifyUsageReceipt(a.receipt, file.header.usageRoot as Hex)).to.deep.equal({ ok: true });
        expect(a.receipt.record).to.deep.equal({
          kind: "aggregate",
          licenseId: a.receipt.record.licenseId,
          datasetId,
          events: String(mine.length),
          units: mine.reduce((x, e) => x + BigInt(e.units), 0n).toString(),
        });
        if (a.terms.model === "per_use") {
          expect(a.terms).to.deep.include({ ratePerUnit: "7", weightBps: datasetId === s.datasets.d1 ? 7000 : 3000 });
          usage.push({ licenseId: a.receipt.record.licenseId, datasetId, epoch: 1, units: a.receipt.record.units });
        } else {
          expect(a.terms).to.deep.include({ model: "revenue_share", revenueBps: 1500, weightBps: 10_000 });
          const l = a.receipt.record.licenseId;
          revenue.set(l, (revenue.get(l) ?? 0n) + BigInt(a.receipt.record.units));
        }
      }
    }
    // Another creator's dataset is not found for the caller.
    expect(
      (await request(t.app).get(`/v1/datasets/${s.datasets.d4}/usage-receipts/1`).set(bearer(s.tokens.creatorA)))
        .status,
    ).to.equal(404);
    const fromReceipts = allocate(
      SettlementInputSchema.parse({
        ...raw,
        usage,
        revenue: [...revenue].map(([licenseId, r]) => ({ licenseId, epoch: 1, revenue: r.toString() })),
      }),
    );
    const leaves = Object.fromEntries(
      Array.from({ length: file.distribution.leafCount }, (_, i) => {
        const c = file.distribution.claimAt(i);
        return [`${c.account}:${c.token}`, c.cumulativeAmount];
      }),
    );
    const recomputed = Object.fromEntries(
      fromReceipts.allocations.map((a) => [`${a.account}:${a.token}`, a.cumulative]),
    );
    expect(recomputed).to.deep.equal(leaves);
    const creatorA = s.creatorA.address.toLowerCase();
    expect(Object.keys(leaves).some((k) => k.startsWith(creatorA))).to.equal(true);
  });
});
