import { expect } from "chai";
import request from "supertest";
import { bearer, SPLITTER, startTestApi, TOKEN, TOKEN_DECIMALS, type TestApi } from "../../helpers/api";
import { TEST_DATABASE } from "../../helpers/database";
import { ApiError } from "../../../../offchain/api/errors";
import { ingestUsage } from "../../../../offchain/api/services/usage";
import { closeEpoch } from "../../../../offchain/epochs";
import { buildScenario, type Scenario } from "../../helpers/scenario";

describe(`offchain/api/services/usage and licenses under concurrency (${TEST_DATABASE})`, function () {
  let t: TestApi;
  let s: Scenario;
  before(async () => {
    t = await startTestApi();
    s = await buildScenario(t);
    // This block is about ingestion, not credit: its batches run far past the scenario's escrow.
    await t.db.prisma.license.update({ where: { id: s.licenses.perUse }, data: { creditLimit: "1000000000000" } });
  });
  after(async () => t?.close());

  const batch = (prefix: string, n: number) => ({
    events: Array.from({ length: n }, (_, i) => ({
      licenseId: s.licenses.perUse,
      datasetId: i % 2 ? s.datasets.d1 : s.datasets.d3,
      itemRef: `it-${i}`,
      units: String(i + 1),
      occurredAt: new Date(Date.now() - 60_000).toISOString(),
      idempotencyKey: `${prefix}-${i}`,
    })),
  });

  it("the same batch sent four times at once is stored once: accepted sums to the batch size", async () => {
    const body = batch("conc", 2000);
    const replies = await Promise.all(
      [1, 2, 3, 4].map(() => request(t.app).post("/v1/usage").set("x-api-key", s.apiKey).send(body)),
    );
    expect(replies.map((r) => r.status)).to.deep.equal([200, 200, 200, 200]);
    const accepted = replies.reduce((a, r) => a + (r.body.accepted as number), 0);
    expect(accepted).to.equal(2000);
    expect(await t.db.prisma.usageEvent.count({ where: { idempotencyKey: { startsWith: "conc-" } } })).to.equal(2000);
    const [{ total }] = await t.db.prisma.$queryRaw<
      { total: string }[]
    >`SELECT sum(units)::text AS total FROM usage_events WHERE idempotency_key LIKE 'conc-%'`;
    expect(total).to.equal(String((2000 * 2001) / 2));
  });

  it("ids in upper-case hex are accepted and stored lower-case", async () => {
    const body = batch("case", 1);
    body.events[0].licenseId = "0x" + body.events[0].licenseId.slice(2).toUpperCase();
    await request(t.app).post("/v1/usage").set("x-api-key", s.apiKey).send(body).expect(200);
    const row = await t.db.prisma.usageEvent.findFirstOrThrow({ where: { idempotencyKey: "case-0" } });
    expect(row.licenseId).to.equal(s.licenses.perUse);
  });

  it("a batch repeating one idempotency key inside itself is refused whole", async () => {
    const body = batch("dup", 3);
    body.events[2].idempotencyKey = body.events[0].idempotencyKey;
    const res = await request(t.app).post("/v1/usage").set("x-api-key", s.apiKey).send(body).expect(422);
    expect(res.body.errors).to.deep.equal([
      { index: 2, code: "duplicate-in-batch", path: "/events/2/idempotencyKey", message: "repeated within the batch" },
    ]);
    expect(await t.db.prisma.usageEvent.count({ where: { idempotencyKey: { startsWith: "dup-" } } })).to.equal(0);
  });

  it("re-using an idempotency key for a different event is 409 naming it; nothing of the batch is stored", async () => {
    const first = batch("reuse", 3);
    const stored = await request(t.app).post("/v1/usage").set("x-api-key", s.apiKey).send(first).expect(200);
    expect(stored.body).to.deep.equal({ received: 3, accepted: 3, duplicates: 0 });
    // The same payload again is still an idempotent 200 with duplicates.
    const again = await request(t.app).post("/v1/usage").set("x-api-key", s.apiKey).send(first).expect(200);
    expect(again.body).to.deep.equal({ received: 3, accepted: 0, duplicates: 3 });
    // Event 1 re-uses key reuse-1 with other units, beside two new events: the whole batch is refused.
    const changed = batch("reuse", 3);
    changed.events[0].idempotencyKey = "reuse-new-0";
    changed.events[1].units = "999";
    changed.events[2].idempotencyKey = "reuse-new-2";
    const res = await request(t.app).post("/v1/usage").set("x-api-key", s.apiKey).send(changed).expect(409);
    expect(res.headers["content-type"]).to.match(/^application\/problem\+json/);
    expect(res.body.errors).to.deep.equal([
      {
        index: 1,
        code: "idempotency-key-reused",
        path: "/events/1/idempotencyKey",
        message: "already stored with a different licenseId, datasetId, itemRef, units or occurredAt",
      },
    ]);
    expect(await t.db.prisma.usageEvent.count({ where: { idempotencyKey: { startsWith: "reuse-new-" } } })).to.equal(0);
    const kept = await t.db.prisma.usageEvent.findFirstOrThrow({ where: { idempotencyKey: "reuse-1" } });
    expect(kept.units.toFixed()).to.equal("2");
    // Another occurredAt or item under a stored key is refused the same way.
    for (const field of ["occurredAt", "itemRef"] as const) {
      const other = batch("reuse", 1);
      other.events[0].occurredAt = first.events[0].occurredAt;
      other.events[0][field] = field === "occurredAt" ? new Date(Date.now() - 120_000).toISOString() : "other";
      await request(t.app).post("/v1/usage").set("x-api-key", s.apiKey).send(other).expect(409);
    }
  });

  it("a revoked API key stops working at once", async () => {
    const created = await request(t.app)
      .post("/v1/buyers/me/api-keys")
      .set(bearer(s.tokens.buyer))
      .send({})
      .expect(201);
    await request(t.app).post("/v1/usage").set("x-api-key", created.body.key).send(batch("rk", 1)).expect(200);
    await request(t.app).delete(`/v1/buyers/me/api-keys/${created.body.id}`).set(bearer(s.tokens.buyer)).expect(200);
    await request(t.app).post("/v1/usage").set("x-api-key", created.body.key).send(batch("rk2", 1)).expect(401);
  });

  it("two buyers racing for overlapping exclusive licenses: exactly one wins, the other gets 409", async () => {
    const offer = await request(t.app)
      .post("/v1/offers")
      .set(bearer(s.tokens.creatorA))
      .send({
        model: "one_time",
        price: "10",
        token: "0x" + "7e".repeat(20),
        scope: "training",
        exclusive: true,
        durationSeconds: 3600,
        datasets: [{ datasetId: s.datasets.d2, weightBps: 10_000 }],
      })
      .expect(201);
    const startsAt = new Date(Date.now() + 86_400_000).toISOString();
    const replies = await Promise.all(
      [s.tokens.buyer, s.tokens.otherBuyer, s.tokens.buyer].map((tok) =>
        request(t.app).post("/v1/licenses").set(bearer(tok)).send({ offerId: offer.body.id, startsAt }),
      ),
    );
    expect(replies.map((r) => r.status).sort()).to.deep.equal([201, 409, 409]);
    const losers = replies.filter((r) => r.status === 409);
    for (const r of losers) expect(r.body.conflict).to.include({ datasetId: s.datasets.d2, scope: "training" });
  });
});

describe(`offchain/api/services/usage: credit limit and revenue currency (${TEST_DATABASE})`, function () {
  let t: TestApi;
  let s: Scenario;
  let occurredAt: string;
  beforeEach(async () => {
    t = await startTestApi();
    s = await buildScenario(t);
    occurredAt = new Date(Date.now() - 60_000).toISOString();
  });
  afterEach(async () => t?.close());

  const event = (key: string, over: Record<string, string> = {}) => ({
    licenseId: s.licenses.perUse,
    datasetId: s.datasets.d1,
    itemRef: `item-${key}`,
    units: "1",
    occurredAt,
    idempotencyKey: key,
    ...over,
  });
  const post = (events: object[]) => request(t.app).post("/v1/usage").set("x-api-key", s.apiKey).send({ events });
  const license = async (id: string) =>
    (await request(t.app).get(`/v1/licenses/${id}`).set(bearer(s.tokens.buyer)).expect(200)).body;

  it("per-use usage beyond escrow + credit is 402 with the deposit instructions; the buyer's view shows what it owes", async () => {
    const { termsHash } = await license(s.licenses.perUse);
    // Escrow 5,000 + credit 10,000 at 7 per unit: 2,143 units cost 15,001, owing 10,001 > 10,000.
    const refused = await post([event("u-1", { units: "2143" })]).expect(402);
    expect(refused.headers["content-type"]).to.match(/^application\/problem\+json/);
    expect({ ...refused.body, requestId: undefined }).to.deep.equal({
      type: "/problems/payment-required",
      title: "Payment required",
      status: 402,
      detail:
        "usage beyond escrow + credit limit on 1 license(s); nothing was stored. " +
        "Deposit at least owed − creditLimit and re-send the batch",
      instance: "/v1/usage",
      requestId: undefined,
      licenses: [
        {
          licenseId: s.licenses.perUse,
          owed: "10001",
          creditLimit: "10000",
          escrow: "5000",
          depositInstructions: {
            chainId: 31337,
            contract: SPLITTER,
            licenseId: s.licenses.perUse,
            token: TOKEN,
            decimals: TOKEN_DECIMALS,
            amount: null,
            termsHash,
            note: "prepaid escrow: deposit any amount; usage is drawn from it each epoch",
          },
        },
      ],
    });
    expect(await t.db.prisma.usageEvent.count()).to.equal(0);
    // 2,142 units cost 14,994: owing 9,994, within the credit.
    await post([event("u-2", { units: "2142" })]).expect(200);
    expect((await license(s.licenses.perUse)).balance).to.deep.equal({
      escrow: "5000",
      charges: "14994",
      owed: "9994",
      available: "0",
      creditLimit: "10000",
    });
    // One more unit (7) would owe 10,001; a re-sent duplicate of the accepted event costs nothing and passes.
    await post([event("u-3")]).expect(402);
    await post([event("u-2", { units: "2142" })]).expect(200);
    expect(await t.db.prisma.usageEvent.count()).to.equal(1);
  });

  it("two batches racing for the last credit: the second waits for the first and is 402; only one is stored", async () => {
    // Escrow 5,000 + credit 10,000 at 7 per unit: 2,142 units fit. Each batch of 1,500 units (10,500) fits alone;
    // both (21,000, owing 16,000) do not. Batch A passes its check, then holds its transaction open while B runs:
    // before the running counter, B summed only the rows it could see (its own: A's were uncommitted), passed too,
    // and both were stored. (PostgreSQL shows it; PGlite runs one transaction at a time, so B starts after A's commit.)
    const buyerId = (await t.db.prisma.buyer.findUniqueOrThrow({ where: { address: s.buyer.address.toLowerCase() } }))
      .id;
    const deps = { prisma: t.db.prisma, common: t.common };
    const order: string[] = [];
    let second: Promise<string> | undefined;
    const first = await ingestUsage(deps, buyerId, [event("race-a", { units: "1500" })], {
      async afterCreditCheck() {
        second = ingestUsage(deps, buyerId, [event("race-b", { units: "1500" })]).then(
          () => "accepted",
          (err: unknown) => (err instanceof ApiError ? String(err.status) : String(err)),
        );
        second.then(() => order.push("B done"));
        await new Promise((r) => setTimeout(r, 500)); // long enough for B to finish if it did not wait for A
        order.push("A commits");
      },
    });
    expect(first.accepted).to.equal(1);
    expect(await second!).to.equal("402");
    expect(order).to.deep.equal(["A commits", "B done"]);
    expect(
      (await t.db.prisma.usageEvent.findMany({ select: { idempotencyKey: true } })).map((e) => e.idempotencyKey),
    ).to.deep.equal(["race-a"]);
    expect((await license(s.licenses.perUse)).balance).to.include({ charges: "10500", owed: "5500" });
  });

  it("the open-units counter follows a close, a correction and a veto: the balance equals the sum of unbilled events", async () => {
    const buyerId = (await t.db.prisma.buyer.findUniqueOrThrow({ where: { address: s.buyer.address.toLowerCase() } }))
      .id;
    const deps = { prisma: t.db.prisma, common: t.common };
    const charges = async () => (await license(s.licenses.perUse)).balance.charges as string;
    const counter = () => t.db.prisma.licenseOpenUsage.findUnique({ where: { licenseId: s.licenses.perUse } });
    await post([event("c-1", { units: "100" }), event("c-2", { units: "10" })]).expect(200);
    expect(await charges()).to.equal("770"); // 110 units × 7
    expect((await counter())?.units.toFixed()).to.equal("110");
    // Before close: correcting c-2 from 10 to 4 units voids it (−10) and stores a 4-unit row (+4): 104 units.
    await request(t.app)
      .post("/v1/usage/corrections")
      .set("x-api-key", s.apiKey)
      .send({
        corrections: [{ licenseId: s.licenses.perUse, idempotencyKey: "c-2", units: "4", correctionKey: "k-1" }],
      })
      .expect(200);
    expect((await counter())?.units.toFixed()).to.equal("104");
    // A close bills those 104 units (the escrow of 5,000 covers 728): nothing is open; the stale row is not read.
    const closed = await closeEpoch(deps, "operator", {});
    expect(closed.status).to.equal("closed");
    expect(await charges()).to.equal("0");
    // The first batch after the close re-derives the row from the events: only its own 3 units are open.
    await ingestUsage(deps, buyerId, [event("c-3", { units: "3" })]);
    expect((await counter())?.units.toFixed()).to.equal("3");
    expect(await charges()).to.equal("21");
    // A veto returns epoch 1's usage to the pool: 104 + 3 units open again, and the next batch counts from there.
    await t.db.prisma.epoch.update({ where: { id: 1 }, data: { status: "vetoed" } });
    expect(await charges()).to.equal(String(107 * 7));
    await ingestUsage(deps, buyerId, [event("c-4", { units: "1" })]);
    expect((await counter())?.units.toFixed()).to.equal("108");
    expect(await charges()).to.equal(String(108 * 7));
  });

  it("revenue states its currency, the license token: missing or another token is 422; per-use units take none", async () => {
    const other = "0x" + "99".repeat(20);
    const revenue = (key: string, currency?: string) =>
      event(key, {
        licenseId: s.licenses.revenueShare,
        datasetId: s.datasets.d4,
        units: "2500000",
        ...(currency ? { currency } : {}),
      });
    const res = await post([revenue("r-1"), revenue("r-2", other), event("p-1", { currency: TOKEN })]).expect(422);
    expect(res.body.errors).to.deep.equal([
      {
        index: 0,
        code: "currency-required",
        path: "/events/0/currency",
        message: `revenue must state its currency: the license token ${TOKEN}`,
      },
      {
        index: 1,
        code: "currency-mismatch",
        path: "/events/1/currency",
        message: `revenue must be in the license token ${TOKEN}`,
      },
      {
        index: 2,
        code: "currency-not-applicable",
        path: "/events/2/currency",
        message: "units of a per_use license are not an amount of money",
      },
    ]);
    expect(await t.db.prisma.usageEvent.count()).to.equal(0);
    // Any case of the token's hex is the same token.
    await post([revenue("r-3", TOKEN.toUpperCase().replace("0X", "0x"))]).expect(200);
  });

  it("deposit instructions carry the token's decimals: amounts everywhere are base units, 10^decimals a token", async () => {
    const { termsHash } = await license(s.licenses.oneTime);
    const res = await request(t.app)
      .get(`/v1/licenses/${s.licenses.oneTime}/deposit-instructions`)
      .set(bearer(s.tokens.buyer))
      .expect(200);
    expect(res.body).to.deep.equal({
      chainId: 31337,
      contract: SPLITTER,
      licenseId: s.licenses.oneTime,
      token: TOKEN,
      decimals: TOKEN_DECIMALS,
      amount: "1000000", // 1 token of 6 decimals
      termsHash,
      note: "the one-time fee",
    });
  });
});
