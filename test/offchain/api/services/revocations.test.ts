/**
 * Revocations reach the licensee. Property: a revocation writes a feed notice and queues a signed webhook for
 * exactly the buyers whose active license covers the item (same dataset and scope) and for no one else; a delivery
 * the receiver fails twice is retried with the same message id and lands on the third attempt.
 */
import { expect } from "chai";
import request from "supertest";
import { account, bearer, signIn, startTestApi, type TestApi } from "../../helpers/api";
import { TEST_DATABASE } from "../../helpers/database";
import { buildScenario, type Scenario } from "../../helpers/scenario";
import { startReceiver, waitFor } from "../../helpers/webhook-receiver";
import { createWebhookDispatcher, verifyWebhook, type WebhookDispatcher } from "../../../../offchain/webhooks";

describe(`revocation notices: feed and webhooks to exactly the affected buyers (${TEST_DATABASE})`, function () {
  let t: TestApi;
  let s: Scenario;
  let third: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let dispatcher: WebhookDispatcher;
  const secrets: Record<string, string> = {};
  before(async () => {
    t = await startTestApi({ WEBHOOK_ALLOW_HTTP_LOOPBACK: "true" });
    s = await buildScenario(t);
    receiver = await startReceiver({ failFirst: 2 });
    third = await signIn(t.app, account("third-buyer"));
    await request(t.app).post("/v1/buyers").set(bearer(third)).send({ name: "Third" }).expect(201);
    // otherBuyer also licenses d1 for training; the third buyer licenses only d4, the buyer's per-use license on
    // d1 is for inference: neither of those is touched by a training consent on d1.
    await request(t.app)
      .post("/v1/licenses")
      .set(bearer(s.tokens.otherBuyer))
      .send({ offerId: s.offers.oneTime })
      .expect(201);
    await request(t.app).post("/v1/licenses").set(bearer(third)).send({ offerId: s.offers.revenueShare }).expect(201);
    const hook = async (name: string, tok: string, role: string) => {
      const r = await request(t.app)
        .post("/v1/webhooks")
        .set(bearer(tok))
        .send({ url: `${receiver.url}/${name}`, role, events: ["consent.revoked"] })
        .expect(201);
      secrets[name] = r.body.secret;
      return r.body.id as string;
    };
    await hook("buyer", s.tokens.buyer, "buyer");
    await hook("other", s.tokens.otherBuyer, "buyer");
    await hook("third", third, "buyer");
    await hook("creator", s.tokens.creatorA, "creator");
    dispatcher = createWebhookDispatcher({
      common: t.common,
      prisma: t.db.prisma,
      config: { pollMs: 10, retryBaseMs: 30, maxAttempts: 5, allowHttpLoopback: true },
    });
  });
  after(async () => {
    await dispatcher?.stop();
    await receiver?.close();
    await t?.close();
  });

  it("revoking consent notifies the two affected buyers once each, signed, after two failed attempts", async () => {
    const res = await request(t.app)
      .post(`/v1/consents/${s.consentId}/revoke`)
      .set(bearer(s.tokens.creatorA))
      .send({})
      .expect(200);
    expect(res.body.notifiedLicenses).to.equal(2);
    dispatcher.start();
    await waitFor(() => receiver.received.filter((r) => r.status === 204).length >= 2, 20_000, "two deliveries");
    await new Promise((r) => setTimeout(r, 300)); // anything extra would arrive now
    await dispatcher.stop();

    const byPath = (p: string) => receiver.received.filter((r) => r.path === p);
    expect(byPath("/third"), "unaffected buyer").to.have.length(0);
    expect(byPath("/creator"), "creator endpoint").to.have.length(0);
    const licensesOf = async (tok: string) =>
      (await request(t.app).get("/v1/licenses").set(bearer(tok)).expect(200)).body as {
        licenseId: string;
        offerId: string;
      }[];
    for (const [name, tok] of [
      ["buyer", s.tokens.buyer],
      ["other", s.tokens.otherBuyer],
    ] as const) {
      const got = byPath(`/${name}`);
      expect(
        got.map((r) => r.status),
        name,
      ).to.deep.equal([500, 500, 204]);
      expect(new Set(got.map((r) => r.headers["webhook-id"])).size, `${name}: one message id`).to.equal(1);
      for (const r of got) {
        // The signature verifies with this endpoint's secret (Standard Webhooks, within the 5-minute tolerance)...
        verifyWebhook(secrets[name], r.body, r.headers);
        // ...and not with another endpoint's.
        expect(() => verifyWebhook(secrets.third, r.body, r.headers)).to.throw();
      }
      const payload = JSON.parse(got[2].body);
      const own = (await licensesOf(tok)).filter((l) => l.offerId === s.offers.oneTime).map((l) => l.licenseId);
      expect(payload).to.deep.include({ type: "consent.revoked" });
      expect(payload.data).to.include({ datasetId: s.datasets.d1, itemRef: "clip-7", scope: "training" });
      expect(payload.data.licenseIds, `${name} sees only its own license`).to.deep.equal(own);
    }
    const rows = await t.db.prisma.webhookDelivery.findMany({ where: { eventType: "consent.revoked" } });
    expect(rows.map((r) => [r.state, r.attempts, r.lastStatus])).to.deep.equal([
      ["delivered", 3, 204],
      ["delivered", 3, 204],
    ]);
  });

  it("the pull feed lists the notice for the affected buyer only, and `since` pages past it", async () => {
    const feed = await request(t.app).get("/v1/buyers/me/revocations?since=0").set(bearer(s.tokens.buyer)).expect(200);
    expect(feed.body.notices).to.have.length(1);
    expect(feed.body.notices[0]).to.include({
      licenseId: s.licenses.oneTime,
      datasetId: s.datasets.d1,
      itemRef: "clip-7",
      scope: "training",
    });
    const next = await request(t.app)
      .get(`/v1/buyers/me/revocations?since=${feed.body.next}`)
      .set(bearer(s.tokens.buyer))
      .expect(200);
    expect(next.body).to.deep.equal({ notices: [], next: feed.body.next });
    const none = await request(t.app).get("/v1/buyers/me/revocations").set(bearer(third)).expect(200);
    expect(none.body.notices).to.deep.equal([]);
  });

  it("the endpoint's deliveries are listed with their status to its owner only", async () => {
    const hooks = await request(t.app).get("/v1/webhooks").set(bearer(s.tokens.buyer)).expect(200);
    expect(hooks.body).to.have.length(1);
    expect(hooks.body[0]).to.not.have.property("secret");
    const list = await request(t.app)
      .get(`/v1/webhooks/${hooks.body[0].id}/deliveries`)
      .set(bearer(s.tokens.buyer))
      .expect(200);
    expect(
      list.body.map((d: { eventType: string; state: string; attempts: number }) => [d.eventType, d.state, d.attempts]),
    ).to.deep.equal([["consent.revoked", "delivered", 3]]);
    await request(t.app)
      .get(`/v1/webhooks/${hooks.body[0].id}/deliveries`)
      .set(bearer(s.tokens.otherBuyer))
      .expect(404);
  });

  it("usage of the revoked item after revokedAt is refused under the affected license", async () => {
    const res = await request(t.app)
      .post("/v1/usage")
      .set("x-api-key", s.apiKey)
      .send({
        events: [
          {
            licenseId: s.licenses.oneTime,
            datasetId: s.datasets.d1,
            itemRef: "clip-7",
            units: "1",
            occurredAt: new Date().toISOString(),
            idempotencyKey: "after-revoke",
          },
        ],
      });
    expect(res.status).to.equal(422);
    expect(res.body.errors[0].code).to.equal("consent-revoked");
  });

  it("a subscription keeps its price after a revocation: the license and its deposit amount are unchanged", async () => {
    const before = await request(t.app)
      .get(`/v1/licenses/${s.licenses.subscription}`)
      .set(bearer(s.tokens.buyer))
      .expect(200);
    const dep = await request(t.app)
      .get(`/v1/licenses/${s.licenses.subscription}/deposit-instructions`)
      .set(bearer(s.tokens.buyer))
      .expect(200);
    const c = await request(t.app)
      .post(`/v1/datasets/${s.datasets.d2}/consents`)
      .set(bearer(s.tokens.creatorA))
      .send({ subject: "erin", scope: "training", itemRef: "file-9", evidenceHash: "0x" + "e9".repeat(32) })
      .expect(201);
    const rev = await request(t.app)
      .post(`/v1/consents/${c.body.id}/revoke`)
      .set(bearer(s.tokens.creatorA))
      .send({})
      .expect(200);
    expect(rev.body.notifiedLicenses).to.equal(1);
    const after = await request(t.app)
      .get(`/v1/licenses/${s.licenses.subscription}`)
      .set(bearer(s.tokens.buyer))
      .expect(200);
    expect(after.body).to.deep.equal(before.body);
    const dep2 = await request(t.app)
      .get(`/v1/licenses/${s.licenses.subscription}/deposit-instructions`)
      .set(bearer(s.tokens.buyer))
      .expect(200);
    expect(dep2.body).to.deep.equal(dep.body);
    const feed = await request(t.app).get("/v1/buyers/me/revocations?since=0").set(bearer(s.tokens.buyer)).expect(200);
    expect(
      feed.body.notices.map((n: { licenseId: string; itemRef: string }) => [n.licenseId, n.itemRef]),
    ).to.deep.equal([
      [s.licenses.oneTime, "clip-7"],
      [s.licenses.subscription, "file-9"],
    ]);
  });

  it("a webhook URL must be https (http only on loopback when allowed)", async () => {
    const res = await request(t.app)
      .post("/v1/webhooks")
      .set(bearer(s.tokens.buyer))
      .send({ url: "http://example.org/hook", role: "buyer", events: ["consent.revoked"] });
    expect(res.status).to.equal(422);
    expect(res.body.errors[0].path).to.equal("/url");
  });
});
