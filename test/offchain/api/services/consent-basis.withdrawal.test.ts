/**
 * Withdrawing a rights attestation. Properties: from the withdrawal on, the attestation is no basis (a new offer or
 * license on the dataset for that scope is refused, coverage shows none); usage at or after it is refused while
 * usage before it stays accepted; every active license on the dataset and scope gets a feed notice and an
 * attestation.withdrawn webhook to its own buyer only; the license keeps its price (the revocation clause); a
 * second withdrawal is a 409; a new attestation is a basis again.
 */
import { expect } from "chai";
import request from "supertest";
import { bearer, startTestApi, TOKEN, type TestApi } from "../../helpers/api";
import { attest } from "../../helpers/attest";
import { TEST_DATABASE } from "../../helpers/database";
import { buildScenario, HOUR, type Scenario } from "../../helpers/scenario";

describe(`withdrawal of a rights attestation (${TEST_DATABASE})`, function () {
  let t: TestApi;
  let s: Scenario;
  const hooks: Record<string, string> = {};
  before(async () => {
    t = await startTestApi();
    s = await buildScenario(t);
    for (const who of ["buyer", "otherBuyer"] as const) {
      const r = await request(t.app)
        .post("/v1/webhooks")
        .set(bearer(s.tokens[who]))
        .send({ url: `https://hooks.example.org/${who}`, role: "buyer", events: ["attestation.withdrawn"] })
        .expect(201);
      hooks[r.body.id] = who;
    }
  });
  after(async () => t?.close());

  const usage = (key: string, occurredAt: Date) =>
    request(t.app)
      .post("/v1/usage")
      .set("x-api-key", s.apiKey)
      .send({
        events: [
          {
            licenseId: s.licenses.subscription,
            datasetId: s.datasets.d2,
            itemRef: "file-1",
            units: "1",
            occurredAt: occurredAt.toISOString(),
            idempotencyKey: key,
          },
        ],
      });

  it("withdraws the attestation, notifies the subscription's buyer only, and keeps the license's price", async () => {
    const before = await t.db.prisma.license.findUniqueOrThrow({ where: { id: s.licenses.subscription } });
    const res = await request(t.app)
      .post(`/v1/attestations/${s.attestationId}/withdraw`)
      .set(bearer(s.tokens.creatorA))
      .send({})
      .expect(200);
    expect(res.body.withdrawnAt).to.be.a("string");
    expect([res.body.id, res.body.datasetId, res.body.scope, res.body.notifiedLicenses]).to.deep.equal([
      s.attestationId,
      s.datasets.d2,
      "training",
      1,
    ]);
    const feed = await request(t.app).get("/v1/buyers/me/revocations?since=0").set(bearer(s.tokens.buyer)).expect(200);
    expect(feed.body.notices.map((n: Record<string, unknown>) => ({ ...n, seq: 0, noticedAt: 0 }))).to.deep.equal([
      {
        seq: 0,
        kind: "attestation.withdrawn",
        licenseId: s.licenses.subscription,
        datasetId: s.datasets.d2,
        itemRef: null,
        scope: "training",
        revokedAt: res.body.withdrawnAt,
        noticedAt: 0,
      },
    ]);
    const other = await request(t.app)
      .get("/v1/buyers/me/revocations?since=0")
      .set(bearer(s.tokens.otherBuyer))
      .expect(200);
    expect(other.body.notices).to.deep.equal([]);
    const queued = await t.db.prisma.webhookDelivery.findMany();
    expect(queued.map((d) => [hooks[d.endpointId], d.eventType, (d.payload as { data: unknown }).data])).to.deep.equal([
      [
        "buyer",
        "attestation.withdrawn",
        {
          datasetId: s.datasets.d2,
          itemRef: null,
          scope: "training",
          revokedAt: res.body.withdrawnAt,
          licenseIds: [s.licenses.subscription],
          action:
            "the creator withdrew its rights attestation: exclude every item of the dataset that no consent receipt " +
            "covers; usage of such items at or after revokedAt is refused",
        },
      ],
    ]);
    const after = await t.db.prisma.license.findUniqueOrThrow({ where: { id: s.licenses.subscription } });
    expect([after.status, after.price?.toFixed(), after.endsAt]).to.deep.equal([
      before.status,
      before.price?.toFixed(),
      before.endsAt,
    ]);
    await request(t.app)
      .post(`/v1/attestations/${s.attestationId}/withdraw`)
      .set(bearer(s.tokens.creatorA))
      .send({})
      .expect(409);
  });

  it("from then on the dataset has no basis for the scope: new offers and licenses are refused", async () => {
    const offer = await request(t.app)
      .post("/v1/offers")
      .set(bearer(s.tokens.creatorA))
      .send({
        model: "one_time",
        price: "5",
        token: TOKEN,
        scope: "training",
        durationSeconds: 3600,
        datasets: [{ datasetId: s.datasets.d2, weightBps: 10_000 }],
      })
      .expect(422);
    expect(offer.body.errors.map((e: { code: string }) => e.code)).to.deep.equal(["no-consent-basis"]);
    const lic = await request(t.app)
      .post("/v1/licenses")
      .set(bearer(s.tokens.otherBuyer))
      .send({ offerId: s.offers.subscription })
      .expect(422);
    expect(lic.body.errors.map((e: { code: string }) => e.code)).to.deep.equal(["no-consent-basis"]);
    const coverage = await request(t.app)
      .get(`/v1/datasets/${s.datasets.d2}/consent-coverage`)
      .set(bearer(s.tokens.creatorA))
      .expect(200);
    expect(coverage.body.find((c: { scope: string }) => c.scope === "training").basis).to.equal("none");
  });

  it("usage after the withdrawal is refused; usage before it is still accepted", async () => {
    // withdrawnAt is the withdrawal's second, truncated: now is at or after it.
    const late = await usage("after", new Date());
    expect(late.status).to.equal(422);
    expect(late.body.errors.map((e: { code: string }) => e.code)).to.deep.equal(["consent-not-covered"]);
    const ok = await usage("before", new Date(s.licenseStart.getTime() + HOUR));
    expect([ok.status, ok.body.accepted]).to.deep.equal([200, 1]);
  });

  it("a new attestation is a basis again", async () => {
    await attest(t.app, s.tokens.creatorA, s.creatorA, s.datasets.d2, "training", new Date(Date.now() - 60_000));
    await request(t.app)
      .post("/v1/licenses")
      .set(bearer(s.tokens.otherBuyer))
      .send({ offerId: s.offers.subscription })
      .expect(201);
  });
});
