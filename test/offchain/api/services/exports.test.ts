/**
 * Documentation exports, and the leak test. Properties: the data sheet and the training-content summary carry
 * the template's headings and the consent basis; no webhook payload, receipt or export given to a party contains
 * another party's private data — consent subjects, usage records, buyer identities.
 */
import { expect } from "chai";
import request from "supertest";
import { bearer, startTestApi, type TestApi } from "../../helpers/api";
import { TEST_DATABASE } from "../../helpers/database";
import { buildScenario, HOUR, type Scenario } from "../../helpers/scenario";

const TEMPLATE_SECTIONS = ["1. General information", "2. List of data sources", "3. Data processing aspects"];

describe(`documentation exports and the leak test (${TEST_DATABASE})`, function () {
  let t: TestApi;
  let s: Scenario;
  before(async () => {
    t = await startTestApi();
    s = await buildScenario(t);
  });
  after(async () => t?.close());

  const get = async (path: string, tok: string) => {
    const r = await request(t.app).get(path).set(bearer(tok));
    expect(r.status, `${path}: ${r.text.slice(0, 300)}`).to.equal(200);
    return r.text;
  };

  it("the data sheet gives provenance, consent basis and counts per scope, licenses by model: counts only", async () => {
    const sheet = JSON.parse(await get(`/v1/datasets/${s.datasets.d1}/datasheet`, s.tokens.creatorA));
    expect(sheet.format).to.equal("tributary-datasheet/1");
    expect(sheet.provenance).to.include({ contributors: 2 });
    expect(sheet.consent).to.deep.equal([
      {
        scope: "training",
        basis: "receipts",
        attestation: null,
        receipts: { active: 1, revoked: 0 },
        itemsCovered: 1,
        wholeDatasetReceipt: false,
      },
      {
        scope: "inference",
        basis: "attestation",
        attestation: sheet.consent[1].attestation,
        receipts: { active: 0, revoked: 0 },
        itemsCovered: 0,
        wholeDatasetReceipt: false,
      },
    ]);
    expect(sheet.consent[1].attestation.signer).to.equal(s.creatorA.address.toLowerCase());
    expect(sheet.licensesByModel).to.deep.equal({ one_time: { active: 1 }, per_use: { active: 1 } });
    // The licensee may read it too; it is the same document.
    const asBuyer = JSON.parse(await get(`/v1/datasets/${s.datasets.d1}/datasheet`, s.tokens.buyer));
    expect({ ...asBuyer, generatedAt: 0 }).to.deep.equal({ ...sheet, generatedAt: 0 });
  });

  it("the training-content summary follows the EU AI Act template headings, as JSON and HTML", async () => {
    const json = JSON.parse(await get(`/v1/licenses/${s.licenses.perUse}/training-summary`, s.tokens.buyer));
    for (const h of TEMPLATE_SECTIONS) expect(json, h).to.have.property(h);
    expect(Object.keys(json["1. General information"])).to.deep.equal([
      "1.1 Provider identification",
      "1.2 Model identification",
      "1.3 Modalities, overall training data size and other characteristics",
    ]);
    expect(Object.keys(json["2. List of data sources"])).to.deep.equal([
      "2.1 Publicly available datasets",
      "2.2 Private non-publicly available datasets obtained from third parties",
      "2.3 Data crawled and scraped from online sources",
      "2.4 User data",
      "2.5 Synthetic data",
      "2.6 Other sources of data",
    ]);
    const licensed =
      json["2. List of data sources"]["2.2 Private non-publicly available datasets obtained from third parties"][
        "2.2.1 Datasets commercially licensed by rightsholders or their representatives"
      ];
    expect(licensed.map((d: { datasetId: string }) => d.datasetId)).to.deep.equal([s.datasets.d1, s.datasets.d3]);
    const tdm =
      json["3. Data processing aspects"][
        "3.1 Respect of reservation of rights from text and data mining exception or limitation"
      ];
    expect(tdm.consentBasis).to.deep.equal([
      { datasetId: s.datasets.d1, kind: "attestation" },
      { datasetId: s.datasets.d3, kind: "attestation" },
    ]);
    const html = await get(`/v1/licenses/${s.licenses.perUse}/training-summary/html`, s.tokens.buyer);
    expect(html).to.match(/^<!doctype html>/);
    for (const h of TEMPLATE_SECTIONS) expect(html).to.include(`<h2>${h}</h2>`);
    expect(html).to.include("2.2.1 Datasets commercially licensed by rightsholders or their representatives");
  });

  it("leak test: no payload, receipt or export reaches a party with another party's private data", async () => {
    const hook = async (tok: string, role: string, events: string[]) =>
      (
        await request(t.app)
          .post("/v1/webhooks")
          .set(bearer(tok))
          .send({ url: "https://hooks.example.org/x", role, events })
          .expect(201)
      ).body.id as string;
    const all = ["consent.revoked", "license.taken", "usage.accepted", "usage.rejected"];
    const hooks = {
      creatorA: await hook(s.tokens.creatorA, "creator", all),
      creatorB: await hook(s.tokens.creatorB, "creator", all),
      buyer: await hook(s.tokens.buyer, "buyer", all),
      otherBuyer: await hook(s.tokens.otherBuyer, "buyer", all),
    };
    // The usage below runs far past the scenario's escrow: this test is about what leaks, not about credit.
    await t.db.prisma.license.update({ where: { id: s.licenses.perUse }, data: { creditLimit: "100000000000" } });
    // Events of every kind: licenses taken by both buyers, usage accepted and rejected, a revocation.
    await request(t.app)
      .post("/v1/licenses")
      .set(bearer(s.tokens.buyer))
      .send({ offerId: s.offers.oneTime })
      .expect(201);
    await request(t.app)
      .post("/v1/licenses")
      .set(bearer(s.tokens.otherBuyer))
      .send({ offerId: s.offers.oneTime })
      .expect(201);
    const usage = (itemRef: string, key: string, at = new Date(s.licenseStart.getTime() + HOUR)) => ({
      licenseId: s.licenses.perUse,
      datasetId: s.datasets.d3,
      itemRef,
      units: "987654321",
      occurredAt: at.toISOString(),
      idempotencyKey: key,
    });
    await request(t.app)
      .post("/v1/usage")
      .set("x-api-key", s.apiKey)
      .send({ events: [usage("private-item-42", "private-key-1")] })
      .expect(200);
    await request(t.app)
      .post("/v1/usage")
      .set("x-api-key", s.apiKey)
      .send({ events: [usage("private-item-43", "private-key-2", new Date(Date.now() + 10 * HOUR))] })
      .expect(422);
    await request(t.app).post(`/v1/consents/${s.consentId}/revoke`).set(bearer(s.tokens.creatorA)).send({}).expect(200);

    const buyerSecrets = {
      buyer: [s.buyer.address.toLowerCase(), "Buyer Labs"],
      otherBuyer: [s.otherBuyer.address.toLowerCase(), "Other Buyer"],
    };
    const usageSecrets = ["private-item-42", "private-item-43", "private-key-1", "private-key-2", "987654321"];
    const subjects = ["alice@example.org"];
    const seen: Record<keyof typeof hooks, string[]> = { creatorA: [], creatorB: [], buyer: [], otherBuyer: [] };
    for (const [who, id] of Object.entries(hooks) as [keyof typeof hooks, string][]) {
      const rows = await t.db.prisma.webhookDelivery.findMany({ where: { endpointId: id } });
      seen[who].push(...rows.map((r) => JSON.stringify(r.payload)));
    }
    // Each event reached someone, so the checks below look at real payloads.
    expect(seen.creatorA.map((p) => JSON.parse(p).type).sort()).to.deep.equal(["license.taken", "license.taken"]);
    expect(seen.buyer.map((p) => JSON.parse(p).type).sort()).to.deep.equal([
      "consent.revoked",
      "license.taken",
      "usage.accepted",
      "usage.rejected",
    ]);
    expect(seen.otherBuyer.map((p) => JSON.parse(p).type).sort()).to.deep.equal(["consent.revoked", "license.taken"]);
    expect(seen.creatorB).to.deep.equal([]);

    // Receipts (creator A's) and every export, as each party gets them.
    const receipts = await get(`/v1/consents/${s.consentId}/receipts`, s.tokens.creatorA);
    const exportsFor = async (tok: string) => [
      ...(await Promise.all(Object.values(s.offers).map((o) => get(`/v1/offers/${o}/terms`, tok)))),
      ...(await Promise.all(Object.values(s.offers).map((o) => get(`/v1/offers/${o}/rsl`, tok)))),
      ...(await Promise.all(Object.values(s.datasets).map((d) => get(`/v1/datasets/${d}/tdm-assertion`, tok)))),
    ];
    seen.creatorA.push(receipts, ...(await exportsFor(s.tokens.creatorA)));
    for (const d of [s.datasets.d1, s.datasets.d2, s.datasets.d3])
      seen.creatorA.push(await get(`/v1/datasets/${d}/datasheet`, s.tokens.creatorA));
    seen.buyer.push(...(await exportsFor(s.tokens.buyer)));
    for (const l of Object.values(s.licenses)) {
      seen.buyer.push(await get(`/v1/licenses/${l}/training-summary`, s.tokens.buyer));
      seen.buyer.push(await get(`/v1/licenses/${l}/training-summary/html`, s.tokens.buyer));
    }
    seen.buyer.push(await get(`/v1/datasets/${s.datasets.d1}/datasheet`, s.tokens.buyer));
    seen.otherBuyer.push(await get(`/v1/datasets/${s.datasets.d1}/datasheet`, s.tokens.otherBuyer));
    seen.otherBuyer.push(...(await exportsFor(s.tokens.otherBuyer)));

    const forbidden: Record<keyof typeof hooks, string[]> = {
      creatorA: [...subjects, ...buyerSecrets.buyer, ...buyerSecrets.otherBuyer, ...usageSecrets],
      creatorB: [...subjects, ...buyerSecrets.buyer, ...buyerSecrets.otherBuyer, ...usageSecrets],
      // A buyer's own name and usage are its own; the other buyer and the subjects are not.
      buyer: [...subjects, ...buyerSecrets.otherBuyer, "private-item-42", "private-key-1", "987654321"],
      otherBuyer: [...subjects, ...buyerSecrets.buyer, ...usageSecrets],
    };
    let checked = 0;
    for (const who of Object.keys(seen) as (keyof typeof hooks)[]) {
      for (const doc of seen[who]) {
        const lower = doc.toLowerCase();
        for (const secret of forbidden[who])
          expect(lower, `${who} sees ${secret}`).to.not.include(secret.toLowerCase());
        checked++;
      }
    }
    expect(checked).to.be.greaterThan(40);
  });
});
