/**
 * GET /v1/proofs/:account on its fast path (offchain/api/fast-proofs.ts, ahead of the middleware stack): the same
 * bytes and headers as the general stack answers (which the OpenAPI response check covers), a bad address still a
 * problem+json 400, and with the proof state in memory (a refresh only after an hour) a promotion and a claim this
 * process records between two requests show on the second.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { expect } from "chai";
import request from "supertest";
import { createApp, requestListener } from "../../../offchain/api/app";
import { fastProofs } from "../../../offchain/api/fast-proofs";
import { createPublicationStore } from "../../../offchain/chain/publication-store";
import { proofClaimsRecorded } from "../../../offchain/epochs";
import { bearer, startTestApi, TOKEN, type TestApi } from "../helpers/api";
import { TEST_DATABASE } from "../helpers/database";
import { buildScenario, type Scenario } from "../helpers/scenario";

const MIN = 60_000;
import { silentLogger as silent } from "../../../offchain/chain/common";

describe(`API fast proofs route (${TEST_DATABASE})`, function () {
  let t: TestApi;
  let s: Scenario;
  before(async () => {
    t = await startTestApi({ PROOF_STATE_MAX_AGE_MS: "3600000" });
    await t.reset();
    const lead = 10_000;
    s = await buildScenario(t, { now: Date.now() - lead });
    const at = (ms: number) => new Date(s.licenseStart.getTime() + ms).toISOString();
    await request(t.app)
      .post("/v1/usage")
      .set("x-api-key", s.apiKey)
      .send({
        events: [
          {
            licenseId: s.licenses.perUse,
            datasetId: s.datasets.d1,
            itemRef: "clip-1",
            units: "300",
            occurredAt: at(10 * MIN),
            idempotencyKey: "u-1",
          },
        ],
      })
      .expect(200);
    const endsAt = new Date(Math.floor((Date.now() - lead) / 1000) * 1000);
    await request(t.app)
      .post("/v1/operator/epochs")
      .set(bearer(s.tokens.operator))
      .send({ endsAt: endsAt.toISOString() })
      .expect(201);
  });
  after(async () => t?.close());

  it("answers with the general stack's body and headers, byte for byte, as middleware and ahead of Express", async () => {
    const general = createApp({ common: t.common, db: t.db, fastProofs: false });
    const listener = requestListener(t.app);
    expect(listener, "the server's listener is not the bare app").to.not.equal(t.app);
    expect(requestListener(general), "without the fast path the listener is the app").to.equal(general);
    const a = s.creatorA.address;
    for (const path of [
      `/v1/proofs/${a}`,
      `/v1/proofs/${a.toUpperCase().replace("0X", "0x")}`,
      `/v1/proofs/0x${"0".repeat(40)}?x=1`,
    ]) {
      const fast = await request(t.app).get(path).set("x-request-id", "req-1").expect(200);
      const ahead = await request(listener).get(path).set("x-request-id", "req-1").expect(200);
      const slow = await request(general).get(path).set("x-request-id", "req-1").expect(200);
      for (const r of [fast, ahead]) {
        expect(r.text, path).to.equal(slow.text);
        for (const h of ["content-type", "content-length", "x-request-id", "etag", "cache-control"])
          expect(r.headers[h], `${path} ${h}`).to.equal(slow.headers[h]);
      }
    }
    expect((await request(t.app).get(`/v1/proofs/${a}`).expect(200)).body.proofs).to.have.length.greaterThan(0);
    // Without a usable x-request-id each response gets a fresh one, as everywhere else.
    const ids = await Promise.all(
      [0, 1].map(
        async () =>
          (await request(t.app).get(`/v1/proofs/${a}`).set("x-request-id", "bad id!")).headers["x-request-id"],
      ),
    );
    expect(ids[0]).to.match(/^[0-9a-f-]{36}$/);
    expect(ids[0]).to.not.equal(ids[1]);
  });

  it("leaves a bad address to the general stack: problem+json 400", async () => {
    for (const path of ["/v1/proofs/0x12", `/v1/proofs/0x${"g".repeat(40)}`, `/v1/proofs/0x${"1".repeat(41)}`]) {
      for (const app of [t.app, requestListener(t.app)]) {
        const res = await request(app).get(path).expect(400);
        expect(res.headers["content-type"], path).to.match(/^application\/problem\+json/);
        expect(res.body.status).to.equal(400);
      }
    }
  });

  it("tries a failed proof once when mounted both ahead of Express and inside it, then leaves it to the general stack", async () => {
    let reads = 0;
    const services = t.app.locals.services;
    const failing = {
      ...services,
      proofState: {
        forAccount: async () => {
          reads++;
          throw new Error("database down");
        },
      },
    };
    const handler = fastProofs({ common: t.common, services: failing });
    const req = { method: "GET", url: `/v1/proofs/${s.creatorA.address}`, headers: {} } as IncomingMessage;
    const res = {} as ServerResponse;
    let passed = 0;
    await new Promise<void>((resolve) =>
      handler(req, res, () => {
        passed++;
        resolve();
      }),
    );
    // The same request reaching the middleware mount after the listener mount passed it on.
    handler(req, res, () => passed++);
    expect({ reads, passed }).to.deep.equal({ reads: 1, passed: 2 });
  });

  it("shows a promotion and a claim recorded between two requests on the second (no refresh due for an hour)", async () => {
    const a = s.creatorA.address.toLowerCase();
    const first = (await request(t.app).get(`/v1/proofs/${a}`).expect(200)).body.proofs[0];
    expect(first).to.include({ epoch: 1, epochStatus: "computed", claimed: "0", claimable: "0" });

    // The publisher's path: a mined publication settles claimable (publication store → proofEpochsChanged).
    await t.db.prisma.epochPublication.create({ data: { epochId: 1, state: "mined" } });
    await t.db.prisma.epoch.update({ where: { id: 1 }, data: { status: "mined" } });
    await createPublicationStore(t.db, silent, Date.now).settle(1, "claimable");
    // The claim watcher's path: a committed claimed total, then proofClaimsRecorded (as claim-watcher.ts does).
    await t.db.prisma.claimedTotal.create({ data: { account: a, token: TOKEN, claimed: "7" } });
    proofClaimsRecorded(t.db.prisma, [{ account: a, token: TOKEN, total: 7n }]);

    const second = (await request(t.app).get(`/v1/proofs/${a}`).expect(200)).body.proofs[0];
    expect(second).to.include({ epoch: 1, epochStatus: "claimable", claimed: "7" });
    expect(BigInt(second.claimable)).to.equal(BigInt(second.cumulative) - 7n);

    // A write no code in this process told the state about stays unseen until the refresh (here: an hour).
    await t.db.prisma.claimedTotal.update({
      where: { account_token: { account: a, token: TOKEN } },
      data: { claimed: "9" },
    });
    expect((await request(t.app).get(`/v1/proofs/${a}`).expect(200)).body.proofs[0].claimed).to.equal("7");
  });
});
