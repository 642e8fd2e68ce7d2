/**
 * Terms you can prove. Property: a license's termsHash is the keccak-256 of its offer's exported canonical terms
 * bytes, the same hash is in the deposit instructions, and the RSL export maps back to the same offer terms.
 */
import { expect } from "chai";
import request from "supertest";
import { keccak256, stringToBytes } from "viem";
import { bearer, startTestApi, type TestApi } from "../../helpers/api";
import { TEST_DATABASE } from "../../helpers/database";
import { buildScenario, type Scenario } from "../../helpers/scenario";

describe(`canonical terms, RSL and CAWG exports (${TEST_DATABASE})`, function () {
  let t: TestApi;
  let s: Scenario;
  before(async () => {
    t = await startTestApi();
    s = await buildScenario(t);
  });
  after(async () => t?.close());

  it("every license's termsHash equals keccak-256 of its exported terms, and the deposit instructions show it", async () => {
    for (const [name, licenseId] of Object.entries(s.licenses)) {
      const lic = await request(t.app).get(`/v1/licenses/${licenseId}`).set(bearer(s.tokens.buyer)).expect(200);
      const terms = await request(t.app)
        .get(`/v1/offers/${lic.body.offerId}/terms`)
        .set(bearer(s.tokens.buyer))
        .expect(200);
      const bytes = terms.text;
      expect(lic.body.termsHash, name).to.match(/^0x[0-9a-f]{64}$/);
      expect(keccak256(stringToBytes(bytes)), name).to.equal(lic.body.termsHash);
      const doc = JSON.parse(bytes);
      expect(doc).to.include({ format: "tributary-terms/1", offerId: lic.body.offerId, model: lic.body.model });
      expect(doc.revocation, name).to.be.a("string").and.not.empty;
      const dep = await request(t.app)
        .get(`/v1/licenses/${licenseId}/deposit-instructions`)
        .set(bearer(s.tokens.buyer))
        .expect(200);
      expect(dep.body.termsHash, name).to.equal(lic.body.termsHash);
    }
  });

  it("the terms state what a revocation does to money under each model (subscription keeps its price)", async () => {
    const terms = async (offerId: string) =>
      JSON.parse(
        (await request(t.app).get(`/v1/offers/${offerId}/terms`).set(bearer(s.tokens.buyer)).expect(200)).text,
      );
    expect((await terms(s.offers.subscription)).revocation).to.include("keeps its price: no pro-rata credit");
    expect((await terms(s.offers.perUse)).revocation).to.include("refused and never billed");
    expect((await terms(s.offers.oneTime)).revocation).to.include("not reduced or refunded");
  });

  it("the RSL export names ai-input and payment type use for a per-use inference offer, and imports back", async () => {
    const xml = (
      await request(t.app).get(`/v1/offers/${s.offers.perUse}/rsl`).set(bearer(s.tokens.creatorA)).expect(200)
    ).text;
    expect(xml).to.include('<rsl xmlns="https://rslstandard.org/rsl"');
    expect(xml).to.include('<permits type="usage">ai-input</permits>');
    expect(xml).to.include('<payment type="use">');
    const back = await request(t.app)
      .post("/v1/terms/rsl/import")
      .set(bearer(s.tokens.creatorA))
      .send({ xml })
      .expect(200);
    expect(back.body.unmapped).to.deep.equal([]);
    const offer = (await request(t.app).get("/v1/offers").set(bearer(s.tokens.creatorA)).expect(200)).body.find(
      (o: { id: string }) => o.id === s.offers.perUse,
    );
    expect(back.body.offer).to.deep.equal({
      datasets: offer.datasets,
      scope: "inference",
      model: "per_use",
      token: offer.token,
      exclusive: true,
      durationSeconds: offer.durationSeconds,
      ratePerUnit: offer.ratePerUnit,
    });
  });

  it("an RSL document from elsewhere maps what it can and lists the rest", async () => {
    const xml = `<rsl xmlns="https://rslstandard.org/rsl"><content url="urn:tributary:dataset:${s.datasets.d2}">
      <license><permits type="usage">ai-train search</permits><payment type="purchase"><amount currency="USD">10</amount></payment></license>
      </content><content url="https://example.org/blog"/></rsl>`;
    const r = await request(t.app)
      .post("/v1/terms/rsl/import")
      .set(bearer(s.tokens.creatorA))
      .send({ xml })
      .expect(200);
    expect(r.body.offer).to.deep.equal({
      datasets: [{ datasetId: s.datasets.d2, weightBps: 10_000 }],
      scope: "training",
      model: "one_time",
    });
    expect(r.body.unmapped).to.deep.equal([
      "permits usage search",
      "amount in USD: no ERC-20 token or base units",
      "content[1]@url=https://example.org/blog: not a Tributary dataset",
    ]);
    const bad = await request(t.app)
      .post("/v1/terms/rsl/import")
      .set(bearer(s.tokens.creatorA))
      .send({ xml: "<rsl><content" });
    expect(bad.status).to.equal(422);
  });

  it("the CAWG training-mining assertion is constrained where offers and a basis exist, notAllowed elsewhere", async () => {
    const a = (
      await request(t.app).get(`/v1/datasets/${s.datasets.d3}/tdm-assertion`).set(bearer(s.tokens.buyer)).expect(200)
    ).body;
    expect(a.label).to.equal("cawg.training-mining");
    expect(a.data.entries["cawg.ai_inference"].use).to.equal("constrained");
    expect(a.data.entries["cawg.ai_inference"].constraint_info).to.include(s.offers.perUse);
    expect(a.data.entries["cawg.ai_training"]).to.deep.equal({ use: "notAllowed" });
    expect(a.data.entries["cawg.data_mining"]).to.deep.equal({ use: "notAllowed" });
  });
});
