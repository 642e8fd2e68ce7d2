import { expect } from "chai";
import request from "supertest";
import { bearer, startTestApi, type TestApi } from "../../helpers/api";
import { TEST_DATABASE } from "../../helpers/database";
import { buildScenario, type Scenario } from "../../helpers/scenario";

describe(`offchain/api/services/usage and licenses under concurrency (${TEST_DATABASE})`, function () {
  let t: TestApi;
  let s: Scenario;
  before(async () => {
    t = await startTestApi();
    s = await buildScenario(t);
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
