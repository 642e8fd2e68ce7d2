/**
 * Consent governs licensing. Property: an offer is published, and a license taken, only with a documented consent
 * basis for the scope of every dataset; usage of an item the basis does not cover at the time of use is refused
 * with a 422 under every model, and nothing is stored.
 */
import { expect } from "chai";
import request from "supertest";
import { bearer, startTestApi, TOKEN, type TestApi } from "../../helpers/api";
import { attest, signAttestation } from "../../helpers/attest";
import { rowCounts, TEST_DATABASE } from "../../helpers/database";
import { buildScenario, HOUR, type Scenario } from "../../helpers/scenario";

const d = (n: number) => "0x" + n.toString(16).padStart(64, "0");
const MODELS = {
  one_time: { model: "one_time", price: "100" },
  subscription: { model: "subscription", price: "100", periodSeconds: 3600 },
  // Credit so that usage without escrow is not refused for money (402): this file is about consent.
  per_use: { model: "per_use", ratePerUnit: "2", creditLimit: "1000" },
  revenue_share: { model: "revenue_share", revenueBps: 500 },
} as const;

describe(`consent basis before licensing, coverage at usage (${TEST_DATABASE})`, function () {
  let t: TestApi;
  let s: Scenario;
  const d5 = d(5);
  before(async () => {
    t = await startTestApi();
    s = await buildScenario(t);
    await request(t.app)
      .post("/v1/datasets")
      .set(bearer(s.tokens.creatorA))
      .send({ id: d5, name: "Interviews", shares: [{ account: s.creatorA.address, bps: 10_000 }] })
      .expect(201);
  });
  after(async () => t?.close());

  const offer = (body: object, tok = s.tokens.creatorA) =>
    request(t.app)
      .post("/v1/offers")
      .set(bearer(tok))
      .send({ token: TOKEN, scope: "training", durationSeconds: 4 * 3600, ...body });

  it("an offer on a dataset without a consent basis is refused (422 naming it) and nothing is stored", async () => {
    const before = await rowCounts(t.db);
    const res = await offer({
      ...MODELS.one_time,
      datasets: [
        { datasetId: s.datasets.d2, weightBps: 5000 },
        { datasetId: d5, weightBps: 5000 },
      ],
    }).expect(422);
    expect(res.body.errors).to.deep.equal([
      {
        path: "/datasets/1/datasetId",
        code: "no-consent-basis",
        message: "no consent receipt or signed rights attestation for training",
      },
    ]);
    expect(await rowCounts(t.db)).to.deep.equal(before);
  });

  it("a basis for another scope does not count: an inference attestation does not publish a training offer", async () => {
    // d3 is attested for inference only in the scenario.
    const res = await offer({ ...MODELS.one_time, datasets: [{ datasetId: s.datasets.d3, weightBps: 10_000 }] });
    expect(res.status).to.equal(422);
    expect(res.body.errors[0].code).to.equal("no-consent-basis");
  });

  it("an attestation must be signed by the dataset owner over the exact message", async () => {
    const other = await signAttestation(s.creatorB, d5, "training", new Date(Date.now() - HOUR));
    const res = await request(t.app)
      .post(`/v1/datasets/${d5}/attestations`)
      .set(bearer(s.tokens.creatorA))
      .send(other)
      .expect(422);
    expect(res.body.errors[0].path).to.equal("/signature");
    const mine = await signAttestation(s.creatorA, d5, "training", new Date(Date.now() - HOUR));
    // The same signature presented for another scope does not verify.
    await request(t.app)
      .post(`/v1/datasets/${d5}/attestations`)
      .set(bearer(s.tokens.creatorA))
      .send({ ...mine, scope: "inference" })
      .expect(422);
    expect(await t.db.prisma.rightsAttestation.count({ where: { datasetId: d5 } })).to.equal(0);
  });

  it("usage of an item outside the consent's scope is refused for every model; a covered item is accepted", async () => {
    // d5's basis is receipts: item "ok" for training, item "inf-only" for inference only.
    const grantedAt = new Date(Date.now() - 3 * HOUR).toISOString();
    const receipt = (itemRef: string, scope: string) =>
      request(t.app)
        .post(`/v1/datasets/${d5}/consents`)
        .set(bearer(s.tokens.creatorA))
        .send({ subject: `subject-${itemRef}`, scope, itemRef, evidenceHash: "0x" + "e5".repeat(32), grantedAt })
        .expect(201);
    await receipt("ok", "training");
    await receipt("inf-only", "inference");
    const startsAt = new Date(Math.floor((Date.now() - 2 * HOUR) / 1000) * 1000);
    const at = new Date(startsAt.getTime() + 30 * 60_000).toISOString();
    for (const [name, terms] of Object.entries(MODELS)) {
      const o = await offer({ ...terms, datasets: [{ datasetId: d5, weightBps: 10_000 }] }).expect(201);
      const lic = await request(t.app)
        .post("/v1/licenses")
        .set(bearer(s.tokens.buyer))
        .send({ offerId: o.body.id, startsAt: startsAt.toISOString() })
        .expect(201);
      // The license records the basis it was taken under.
      expect(lic.body.consentBasis, name).to.deep.equal([
        { datasetId: d5, kind: "receipts", activeReceipts: 1, wholeDataset: false },
      ]);
      const ev = (itemRef: string, key: string) => ({
        licenseId: lic.body.licenseId,
        datasetId: d5,
        itemRef,
        units: "3",
        occurredAt: at,
        idempotencyKey: `${name}-${key}`,
        ...(name === "revenue_share" ? { currency: TOKEN } : {}),
      });
      const before = await t.db.prisma.usageEvent.count();
      const refused = await request(t.app)
        .post("/v1/usage")
        .set("x-api-key", s.apiKey)
        .send({ events: [ev("inf-only", "a"), ev("never-consented", "b"), ev("ok", "c")] });
      expect(refused.status, name).to.equal(422);
      expect(
        refused.body.errors.map((e: { index: number; code: string }) => [e.index, e.code]),
        name,
      ).to.deep.equal([
        [0, "consent-not-covered"],
        [1, "consent-not-covered"],
      ]);
      expect(await t.db.prisma.usageEvent.count(), name).to.equal(before);
      const ok = await request(t.app)
        .post("/v1/usage")
        .set("x-api-key", s.apiKey)
        .send({ events: [ev("ok", "c")] });
      expect(ok.status, name).to.equal(200);
      expect(ok.body.accepted, name).to.equal(1);
    }
  });

  it("usage before the consent was granted is refused: coverage is judged at occurredAt", async () => {
    const grantedAt = new Date(Date.now() - 20 * 60_000);
    await request(t.app)
      .post(`/v1/datasets/${s.datasets.d1}/consents`)
      .set(bearer(s.tokens.creatorA))
      .send({
        subject: "bob",
        scope: "training",
        itemRef: "clip-late",
        evidenceHash: "0x" + "e2".repeat(32),
        grantedAt: grantedAt.toISOString(),
      })
      .expect(201);
    const ev = (ms: number, key: string) => ({
      licenseId: s.licenses.oneTime,
      datasetId: s.datasets.d1,
      itemRef: "clip-late",
      units: "1",
      occurredAt: new Date(grantedAt.getTime() + ms).toISOString(),
      idempotencyKey: key,
    });
    const early = await request(t.app)
      .post("/v1/usage")
      .set("x-api-key", s.apiKey)
      .send({ events: [ev(-60_000, "late-a")] });
    expect(early.status).to.equal(422);
    expect(early.body.errors[0].code).to.equal("consent-not-covered");
    await request(t.app)
      .post("/v1/usage")
      .set("x-api-key", s.apiKey)
      .send({ events: [ev(60_000, "late-b")] })
      .expect(200);
  });

  it("a license cannot be taken once the basis behind its offer was revoked", async () => {
    const d6 = d(6);
    await request(t.app)
      .post("/v1/datasets")
      .set(bearer(s.tokens.creatorA))
      .send({ id: d6, name: "One voice", shares: [{ account: s.creatorA.address, bps: 10_000 }] })
      .expect(201);
    const c = await request(t.app)
      .post(`/v1/datasets/${d6}/consents`)
      .set(bearer(s.tokens.creatorA))
      .send({ subject: "carol", scope: "training", evidenceHash: "0x" + "e3".repeat(32) })
      .expect(201);
    const o = await offer({ ...MODELS.per_use, datasets: [{ datasetId: d6, weightBps: 10_000 }] }).expect(201);
    await request(t.app).post(`/v1/consents/${c.body.id}/revoke`).set(bearer(s.tokens.creatorA)).send({}).expect(200);
    const res = await request(t.app).post("/v1/licenses").set(bearer(s.tokens.buyer)).send({ offerId: o.body.id });
    expect(res.status).to.equal(422);
    expect(res.body.errors[0].code).to.equal("no-consent-basis");
  });

  it("an attestation is a basis for every item of the dataset and is recorded in the license", async () => {
    await attest(t.app, s.tokens.creatorA, s.creatorA, d5, "inference");
    const o = await offer({ ...MODELS.per_use, scope: "inference", datasets: [{ datasetId: d5, weightBps: 10_000 }] });
    expect(o.status).to.equal(201);
    const lic = await request(t.app).post("/v1/licenses").set(bearer(s.tokens.otherBuyer)).send({ offerId: o.body.id });
    expect(lic.status).to.equal(201);
    expect(lic.body.consentBasis[0]).to.include({
      datasetId: d5,
      kind: "attestation",
      signer: s.creatorA.address.toLowerCase(),
    });
    const cov = await request(t.app)
      .get(`/v1/datasets/${d5}/consent-coverage`)
      .set(bearer(s.tokens.creatorA))
      .expect(200);
    expect(cov.body.map((c: { scope: string; basis: string }) => [c.scope, c.basis])).to.deep.equal([
      ["training", "receipts"],
      ["inference", "attestation"],
    ]);
  });
});
