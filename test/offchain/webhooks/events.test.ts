/**
 * license.taken and license.cancelled reach exactly the two parties of the license (its offer's creator and its
 * buyer), with the same fields for both, and no buyer identity; a cancel that is refused queues nothing.
 */
import { expect } from "chai";
import request from "supertest";
import { bearer, startTestApi, type TestApi } from "../helpers/api";
import { TEST_DATABASE } from "../helpers/database";
import { buildScenario, type Scenario } from "../helpers/scenario";

describe(`offchain/webhooks/events: license.taken and license.cancelled (${TEST_DATABASE})`, function () {
  let t: TestApi;
  let s: Scenario;
  const owners: Record<string, string> = {};
  before(async () => {
    t = await startTestApi();
    s = await buildScenario(t);
    for (const who of ["creatorA", "creatorB", "buyer", "otherBuyer"] as const) {
      const role = who.startsWith("creator") ? "creator" : "buyer";
      const r = await request(t.app)
        .post("/v1/webhooks")
        .set(bearer(s.tokens[who]))
        .send({ url: `https://hooks.example.org/${who}`, role, events: ["license.taken", "license.cancelled"] })
        .expect(201);
      owners[r.body.id] = who;
    }
  });
  after(async () => t?.close());

  const queued = async (type: string) =>
    (await t.db.prisma.webhookDelivery.findMany({ where: { eventType: type } }))
      .map((d) => ({ to: owners[d.endpointId], data: (d.payload as { data: unknown }).data }))
      .sort((a, b) => a.to.localeCompare(b.to));

  it("cancelling queues license.cancelled to the license's creator and buyer only, without the buyer", async () => {
    const res = await request(t.app)
      .post(`/v1/licenses/${s.licenses.subscription}/cancel`)
      .set(bearer(s.tokens.buyer))
      .send({})
      .expect(200);
    const l = await t.db.prisma.license.findUniqueOrThrow({ where: { id: s.licenses.subscription } });
    const data = {
      licenseId: s.licenses.subscription,
      offerId: s.offers.subscription,
      model: "subscription",
      scope: "training",
      datasetIds: [s.datasets.d2],
      startsAt: l.startsAt.toISOString(),
      endsAt: l.endsAt.toISOString(),
      termsHash: l.termsHash,
      cancelledAt: res.body.cancelledAt,
    };
    expect(res.body.cancelledAt).to.be.a("string");
    expect(await queued("license.cancelled")).to.deep.equal([
      { to: "buyer", data },
      { to: "creatorA", data },
    ]);
    const body = JSON.stringify(await queued("license.cancelled"));
    expect(body).to.not.contain(s.buyer.address.toLowerCase().slice(2));
  });

  it("a refused second cancel queues nothing more", async () => {
    await request(t.app)
      .post(`/v1/licenses/${s.licenses.subscription}/cancel`)
      .set(bearer(s.tokens.buyer))
      .send({})
      .expect(409);
    expect(await queued("license.cancelled")).to.have.length(2);
  });

  it("taking a license queues license.taken to its creator and its buyer only", async () => {
    const r = await request(t.app)
      .post("/v1/licenses")
      .set(bearer(s.tokens.otherBuyer))
      .send({ offerId: s.offers.oneTime })
      .expect(201);
    const taken = (await queued("license.taken")).filter(
      (d) => (d.data as { licenseId: string }).licenseId === r.body.licenseId,
    );
    expect(taken.map((d) => d.to)).to.deep.equal(["creatorA", "otherBuyer"]);
    expect(JSON.stringify(taken)).to.not.contain(s.otherBuyer.address.toLowerCase().slice(2));
  });
});
