import { expect } from "chai";
import request from "supertest";
import { account, bearer, DOMAIN, siweMessage, signIn, startTestApi, type TestApi } from "../../helpers/api";
import { TEST_DATABASE } from "../../helpers/database";
import { hashSecret } from "../../../../offchain/api/auth/actor";
import { ISSUED_AT_MAX_AGE_MS, ISSUED_AT_MAX_SKEW_MS } from "../../../../offchain/api/auth/siwe";

describe(`offchain/api/auth/siwe (${TEST_DATABASE})`, function () {
  let t: TestApi;
  before(async () => {
    t = await startTestApi({ SESSION_TTL_SECONDS: "2" });
  });
  after(async () => t?.close());
  beforeEach(async () => t.reset());

  const alice = account("alice");

  it("signs in with a valid EIP-4361 message and stores only the token's hash", async () => {
    const { message, signature } = await siweMessage(t.app, alice);
    const res = await request(t.app).post("/v1/auth/verify").send({ message, signature }).expect(201);
    expect(res.body.address).to.equal(alice.address.toLowerCase());
    const me = await request(t.app).get("/v1/auth/me").set(bearer(res.body.token)).expect(200);
    expect(me.body).to.deep.equal({ address: alice.address.toLowerCase(), roles: [] });
    const rows = await t.db.prisma.session.findMany();
    expect(rows).to.have.length(1);
    expect(rows[0].tokenHash).to.equal(hashSecret(res.body.token)).and.not.equal(res.body.token);
  });

  it("a nonce works once: replaying the same signed message is refused", async () => {
    const { message, signature } = await siweMessage(t.app, alice);
    await request(t.app).post("/v1/auth/verify").send({ message, signature }).expect(201);
    const again = await request(t.app).post("/v1/auth/verify").send({ message, signature }).expect(401);
    expect(again.body.detail).to.match(/nonce/);
  });

  it("a nonce the server never issued is refused", async () => {
    const { createSiweMessage } = await import("viem/siwe");
    const message = createSiweMessage({
      domain: DOMAIN,
      address: alice.address,
      uri: `http://${DOMAIN}`,
      version: "1",
      chainId: 31337,
      nonce: "abcdefgh12345678",
    });
    await request(t.app)
      .post("/v1/auth/verify")
      .send({ message, signature: await alice.signMessage({ message }) })
      .expect(401);
  });

  it("a signature by another key, another domain, another chain or an expired message is refused", async () => {
    const m1 = await siweMessage(t.app, alice);
    await request(t.app)
      .post("/v1/auth/verify")
      .send({ message: m1.message, signature: await account("mallory").signMessage({ message: m1.message }) })
      .expect(401);
    const m2 = await siweMessage(t.app, alice, { domain: "evil.example" });
    await request(t.app).post("/v1/auth/verify").send({ message: m2.message, signature: m2.signature }).expect(401);
    const m3 = await siweMessage(t.app, alice, { chainId: 1 });
    await request(t.app).post("/v1/auth/verify").send({ message: m3.message, signature: m3.signature }).expect(401);
    const m4 = await siweMessage(t.app, alice, { expirationTime: new Date(Date.now() - 1000) });
    await request(t.app).post("/v1/auth/verify").send({ message: m4.message, signature: m4.signature }).expect(401);
    const m5 = await siweMessage(t.app, alice, { uri: "https://evil.example/login" });
    const r5 = await request(t.app).post("/v1/auth/verify").send({ message: m5.message, signature: m5.signature });
    expect(r5.status).to.equal(401);
    expect(r5.body.detail).to.match(/origin/);
    const m6 = await siweMessage(t.app, alice, { uri: `http://${DOMAIN.replace("8080", "8081")}` });
    await request(t.app).post("/v1/auth/verify").send({ message: m6.message, signature: m6.signature }).expect(401);
    // An issuedAt just past the bound (10 min) or ahead of our clock by more than a minute.
    const m7 = await siweMessage(t.app, alice, { issuedAt: new Date(Date.now() - ISSUED_AT_MAX_AGE_MS - 5_000) });
    const r7 = await request(t.app).post("/v1/auth/verify").send({ message: m7.message, signature: m7.signature });
    expect(r7.status).to.equal(401);
    expect(r7.body.detail).to.match(/older than 10 minutes/);
    const m8 = await siweMessage(t.app, alice, { issuedAt: new Date(Date.now() + ISSUED_AT_MAX_SKEW_MS + 5_000) });
    const r8 = await request(t.app).post("/v1/auth/verify").send({ message: m8.message, signature: m8.signature });
    expect(r8.status).to.equal(401);
    expect(r8.body.detail).to.match(/future/);
    // None of the refused attempts consumed its nonce or opened a session.
    expect(await t.db.prisma.session.count()).to.equal(0);
  });

  it("a message issued 9 minutes ago (within the bound) still signs in", async () => {
    const m = await siweMessage(t.app, alice, { issuedAt: new Date(Date.now() - 9 * 60_000) });
    await request(t.app).post("/v1/auth/verify").send({ message: m.message, signature: m.signature }).expect(201);
  });

  it("public routes ignore credentials: a stale or garbage token does not make /health or /v1/epochs 401", async () => {
    const token = await signIn(t.app, alice);
    await request(t.app).post("/v1/auth/logout").set(bearer(token)).expect(204);
    for (const path of ["/health", "/ready", "/v1/epochs"]) {
      await request(t.app).get(path).set(bearer(token)).expect(200);
      await request(t.app).get(path).set("Authorization", "Basic abc").expect(200);
    }
  });

  it("sessions expire, and a logged-out token stops working", async () => {
    const token = await signIn(t.app, alice);
    await request(t.app).post("/v1/auth/logout").set(bearer(token)).expect(204);
    await request(t.app).get("/v1/auth/me").set(bearer(token)).expect(401);
    const short = await signIn(t.app, alice);
    await request(t.app).get("/v1/auth/me").set(bearer(short)).expect(200);
    await new Promise((r) => setTimeout(r, 2100));
    await request(t.app).get("/v1/auth/me").set(bearer(short)).expect(401);
  });

  it("the bootstrap operator grants roles; a revoked role stops opening its routes at once", async () => {
    const op = await signIn(t.app, t.operator);
    const aliceToken = await signIn(t.app, alice);
    await request(t.app).get("/v1/audit-log").set(bearer(aliceToken)).expect(403);
    await request(t.app)
      .post("/v1/operator/roles")
      .set(bearer(op))
      .send({ address: alice.address, role: "auditor" })
      .expect(201);
    await request(t.app).get("/v1/audit-log").set(bearer(aliceToken)).expect(200);
    await request(t.app).delete(`/v1/operator/roles/${alice.address}/auditor`).set(bearer(op)).expect(200);
    await request(t.app).get("/v1/audit-log").set(bearer(aliceToken)).expect(403);
    const conflict = await request(t.app)
      .delete(`/v1/operator/roles/${t.operator.address}/operator`)
      .set(bearer(op))
      .expect(409);
    expect(conflict.body.detail).to.match(/last operator/);
    const log = await t.db.prisma.auditLog.findMany({ orderBy: { id: "asc" } });
    expect(log.map((e) => e.action)).to.deep.equal(["role.granted", "role.granted", "role.revoked"]);
  });

  it("a garbage bearer token or API key is 401 where identity matters, not anonymous", async () => {
    await request(t.app).get("/v1/auth/me").set("Authorization", "Bearer nope").expect(401);
    await request(t.app).get("/v1/auth/me").set("Authorization", "Basic abc").expect(401);
    await request(t.app).post("/v1/usage").set("x-api-key", "trk_nope").send({ events: [] }).expect(401);
  });
});
