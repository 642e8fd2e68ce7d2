/**
 * Documentation exports, and the leak test. Properties: the data sheet and the training-content summary carry
 * the template's headings and the consent basis; no webhook payload, receipt or export given to a party contains
 * another party's private data — consent subjects, usage records, buyer identities.
 */
import { expect } from "chai";
import request from "supertest";
import { bearer, startTestApi, TOKEN, type TestApi } from "../../helpers/api";
import { TEST_DATABASE } from "../../helpers/database";
import { buildScenario, HOUR, type Scenario } from "../../helpers/scenario";
import { closeEpoch } from "../../../../offchain/epochs";
import { createPublicationStore } from "../../../../offchain/chain/publication-store";
import { silentLogger } from "../../../../offchain/chain/common";
import { WEBHOOK_EVENTS } from "../../../../offchain/webhooks/events";
import { enqueueDepositsConfirmed } from "../../../../offchain/webhooks/money-events";

/** The Commission's template for the public summary of training content (July 2025): sections and subsections. */
const TEMPLATE_HEADINGS = [
  "1. General information",
  "1.1 Provider identification",
  "1.2 Model identification",
  "1.3 Modalities, overall training data size and other characteristics",
  "2. List of data sources",
  "2.1 Publicly available datasets",
  "2.2 Private non-publicly available datasets obtained from third parties",
  "2.2.1 Datasets commercially licensed by rightsholders or their representatives",
  "2.2.2 Private datasets obtained from other third parties",
  "2.3 Data crawled and scraped from online sources",
  "2.4 User data",
  "2.5 Synthetic data",
  "2.6 Other sources of data",
  "3. Data processing aspects",
  "3.1 Respect of reservation of rights from text and data mining exception or limitation",
  "3.2 Removal of illegal content",
  "3.3 Other information",
];

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

  it("the training-content summary has exactly the EU AI Act template's headings, in order, as JSON and HTML", async () => {
    const json = JSON.parse(await get(`/v1/licenses/${s.licenses.perUse}/training-summary`, s.tokens.buyer));
    // Every numbered key, depth first: the template's headings and nothing else.
    const headings = (v: unknown): string[] =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.entries(v).flatMap(([k, x]) => (/^\d+\./.test(k) ? [k, ...headings(x)] : []))
        : [];
    expect(headings(json)).to.deep.equal(TEMPLATE_HEADINGS);
    expect(
      Object.keys(
        json["1. General information"]["1.3 Modalities, overall training data size and other characteristics"],
      ),
    ).to.deep.equal([
      "Modalities",
      "Training data size per modality",
      "Types of content",
      "Latest date of data acquisition/collection for model training",
      "Other relevant characteristics",
    ]);
    const licensed =
      json["2. List of data sources"]["2.2 Private non-publicly available datasets obtained from third parties"][
        "2.2.1 Datasets commercially licensed by rightsholders or their representatives"
      ];
    expect(licensed.datasets.map((d: { datasetId: string }) => d.datasetId)).to.deep.equal([
      s.datasets.d1,
      s.datasets.d3,
    ]);
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
    const htmlHeadings = [...html.matchAll(/<h([234])>([^<]*)<\/h\1>/g)].map((m) => [Number(m[1]), m[2]]);
    expect(htmlHeadings).to.deep.equal(
      TEMPLATE_HEADINGS.map((h) => [h.split(" ")[0].split(".").filter(Boolean).length + 1, h]),
    );
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
    const all = [...WEBHOOK_EVENTS];
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
    // Money events: confirmed deposits (as the deposit indexer records them) on the buyer's subscription and the
    // other buyer's one-time license, a cancel that leaves a refund, an epoch closed and its root promoted.
    const theirs = (await request(t.app).get("/v1/licenses").set(bearer(s.tokens.otherBuyer)).expect(200)).body[0]
      .licenseId as string;
    const deposits = [
      { licenseId: s.licenses.subscription, amount: "1440000", payer: s.buyer.address.toLowerCase(), n: 1 },
      { licenseId: theirs, amount: "1000000", payer: s.otherBuyer.address.toLowerCase(), n: 2 },
    ].map((d) => ({
      licenseId: d.licenseId,
      token: TOKEN,
      amount: d.amount,
      payer: d.payer,
      txHash: `0x${String(d.n).repeat(64)}`,
      logIndex: 0,
      blockNumber: BigInt(d.n),
    }));
    await t.db.prisma.$transaction(async (tx) => {
      for (const d of deposits)
        await tx.deposit.create({
          data: {
            licenseId: d.licenseId,
            token: d.token,
            amount: d.amount,
            payer: d.payer,
            txHash: d.txHash,
            logIndex: d.logIndex,
            blockNumber: d.blockNumber,
            blockHash: d.txHash,
            state: "confirmed",
          },
        });
      await enqueueDepositsConfirmed(tx, deposits);
    });
    await request(t.app)
      .post(`/v1/licenses/${s.licenses.subscription}/cancel`)
      .set(bearer(s.tokens.buyer))
      .send({})
      .expect(200);
    const closed = await closeEpoch({ prisma: t.db.prisma, common: t.common }, "operator", {});
    expect(closed.status).to.equal("closed");
    await t.db.prisma.epochPublication.create({ data: { epochId: closed.epoch, state: "mined" } });
    await createPublicationStore(t.db, silentLogger, Date.now).settle(closed.epoch, "claimable");

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
    expect(seen.creatorA.map((p) => JSON.parse(p).type).sort()).to.deep.equal([
      "epoch.claimable",
      "license.cancelled",
      "license.taken",
      "license.taken",
    ]);
    expect(seen.buyer.map((p) => JSON.parse(p).type).sort()).to.deep.equal([
      "consent.revoked",
      "deposit.confirmed",
      "license.cancelled",
      "license.taken",
      "refund.available",
      "usage.accepted",
      "usage.rejected",
    ]);
    expect(seen.otherBuyer.map((p) => JSON.parse(p).type).sort()).to.deep.equal([
      "consent.revoked",
      "deposit.confirmed",
      "license.taken",
    ]);
    expect(seen.creatorB).to.deep.equal([]);
    const refund = seen.buyer.map((p) => JSON.parse(p)).find((p) => p.type === "refund.available");
    // The refund is the engine's, for the buyer's own license: the first epoch's cumulative refund of it.
    const state = (await t.db.prisma.epoch.findFirstOrThrow({ where: { id: 1 } })).state as {
      licenses: { licenseId: string; refunded: string }[];
    };
    const refunded = state.licenses.find((l) => l.licenseId === s.licenses.subscription)?.refunded;
    expect(refunded).to.be.a("string").and.not.equal("0");
    expect([refund.data.licenseId, refund.data.amount]).to.deep.equal([s.licenses.subscription, refunded]);

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
