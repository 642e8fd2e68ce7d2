/**
 * Authorization matrix: every route the Express router holds × every role → the expected status. The test
 * enumerates the router itself, so a route added without a row here fails the first test.
 */
import { expect } from "chai";
import request from "supertest";
import { account, bearer, siweMessage, signIn, startTestApi, type TestApi } from "../helpers/api";
import { TEST_DATABASE } from "../helpers/database";
import { buildScenario, type Scenario } from "../helpers/scenario";
import { signAttestation } from "../helpers/attest";

const ROLES = ["anonymous", "creator", "otherCreator", "buyer", "otherBuyer", "auditor", "operator"] as const;
type Role = (typeof ROLES)[number];
type Expect = Record<Role, number>;
type MatrixScenario = Scenario & { apiKeyId: string; webhookId: string };
type Case = {
  path(s: MatrixScenario): string;
  body?(s: MatrixScenario, role: Role, t: TestApi): object | Promise<object>;
  /** Changes state: run on a fresh scenario. */
  mutates?: boolean;
  /** Buyers present their API key instead of their session. */
  apiKey?: boolean;
  /** Each role signs in afresh (the route ends the session it is called with). */
  freshSession?: boolean;
  expect: Expect;
};

const every = (status: number): Expect => Object.fromEntries(ROLES.map((r) => [r, status])) as Expect;
/** anonymous → 401; listed roles → their status; every other signed-in role → `others`. */
const signedIn = (allowed: Partial<Expect>, others = 403): Expect => ({ ...every(others), anonymous: 401, ...allowed });

const MIN = 60_000;
const d = (n: number) => "0x" + n.toString(16).padStart(64, "0");

/** Per scenario, when the event the corrections row corrects occurred. */
const correctedAt = new WeakMap<MatrixScenario, string>();

const matrix: Record<string, Case> = {
  "GET /health": { path: () => "/health", expect: every(200) },
  "GET /ready": { path: () => "/ready", expect: every(200) },
  "GET /metrics": { path: () => "/metrics", expect: every(200) },
  "GET /openapi.json": { path: () => "/openapi.json", expect: every(200) },
  "GET /docs": { path: () => "/docs", expect: every(200) },
  "POST /v1/auth/nonce": { path: () => "/v1/auth/nonce", body: () => ({}), expect: every(201) },
  "POST /v1/auth/verify": {
    path: () => "/v1/auth/verify",
    body: async (_s, role, t) => {
      const { message, signature } = await siweMessage(t.app, account(role));
      return { message, signature };
    },
    expect: every(201),
  },
  "POST /v1/auth/logout": {
    path: () => "/v1/auth/logout",
    body: () => ({}),
    freshSession: true,
    expect: signedIn({}, 204),
  },
  "GET /v1/auth/me": { path: () => "/v1/auth/me", expect: signedIn({}, 200) },
  "GET /v1/epochs": { path: () => "/v1/epochs", expect: every(200) },
  "GET /v1/epochs/:epoch": { path: () => "/v1/epochs/1", expect: every(200) },
  "GET /v1/epochs/:epoch/distribution": { path: () => "/v1/epochs/1/distribution", expect: every(200) },
  // Public: no file has this hash, so every caller gets the same 404 (never 401/403).
  "GET /v1/distributions/:contentHash": { path: () => `/v1/distributions/0x${"ab".repeat(32)}`, expect: every(404) },
  "GET /v1/proofs/:account": { path: (s) => `/v1/proofs/${s.creatorA.address}`, expect: every(200) },
  "POST /v1/creators": {
    path: () => "/v1/creators",
    body: () => ({ name: "n" }),
    mutates: true,
    expect: signedIn({ creator: 409, otherCreator: 409 }, 201),
  },
  "POST /v1/datasets": {
    path: () => "/v1/datasets",
    body: (s) => ({ name: "new", shares: [{ account: s.contributor, bps: 10_000 }] }),
    mutates: true,
    expect: signedIn({ creator: 201, otherCreator: 201 }),
  },
  "GET /v1/datasets": { path: () => "/v1/datasets", expect: signedIn({ creator: 200, otherCreator: 200 }) },
  "GET /v1/datasets/:datasetId": {
    path: (s) => `/v1/datasets/${s.datasets.d1}`,
    expect: signedIn({ creator: 200, otherCreator: 404 }),
  },
  "PUT /v1/datasets/:datasetId/shares": {
    path: (s) => `/v1/datasets/${s.datasets.d2}/shares`,
    body: (s) => ({ shares: [{ account: s.contributor, bps: 10_000 }] }),
    mutates: true,
    expect: signedIn({ creator: 200, otherCreator: 404 }),
  },
  "POST /v1/datasets/:datasetId/consents": {
    path: (s) => `/v1/datasets/${s.datasets.d1}/consents`,
    body: () => ({ subject: "bob", scope: "training", evidenceHash: "0x" + "11".repeat(32) }),
    mutates: true,
    expect: signedIn({ creator: 201, otherCreator: 404 }),
  },
  "GET /v1/datasets/:datasetId/consents": {
    path: (s) => `/v1/datasets/${s.datasets.d1}/consents`,
    expect: signedIn({ creator: 200, otherCreator: 404 }),
  },
  "POST /v1/consents/:consentId/revoke": {
    path: (s) => `/v1/consents/${s.consentId}/revoke`,
    body: () => ({}),
    mutates: true,
    expect: signedIn({ creator: 200, otherCreator: 404 }),
  },
  "GET /v1/creators/me/earnings": {
    path: () => "/v1/creators/me/earnings",
    expect: signedIn({ creator: 200, otherCreator: 200 }),
  },
  "GET /v1/creators/me/claimable": {
    path: () => "/v1/creators/me/claimable",
    expect: signedIn({ creator: 200, otherCreator: 200 }),
  },
  "POST /v1/buyers": {
    path: () => "/v1/buyers",
    body: () => ({ name: "n" }),
    mutates: true,
    expect: signedIn({ buyer: 409, otherBuyer: 409 }, 201),
  },
  "POST /v1/buyers/me/api-keys": {
    path: () => "/v1/buyers/me/api-keys",
    body: () => ({}),
    mutates: true,
    expect: signedIn({ buyer: 201, otherBuyer: 201 }),
  },
  "GET /v1/buyers/me/api-keys": {
    path: () => "/v1/buyers/me/api-keys",
    expect: signedIn({ buyer: 200, otherBuyer: 200 }),
  },
  "DELETE /v1/buyers/me/api-keys/:keyId": {
    path: (s) => `/v1/buyers/me/api-keys/${s.apiKeyId}`,
    mutates: true,
    expect: signedIn({ buyer: 200, otherBuyer: 404 }),
  },
  "POST /v1/offers": {
    path: () => "/v1/offers",
    mutates: true,
    body: (s) => ({
      model: "one_time",
      price: "5",
      token: "0x" + "7e".repeat(20),
      scope: "training",
      durationSeconds: 3600,
      datasets: [{ datasetId: s.datasets.d2, weightBps: 10_000 }],
    }),
    // The other creator does not own d2: a valid request it may not make on that dataset.
    expect: signedIn({ creator: 201, otherCreator: 422 }),
  },
  "GET /v1/offers": { path: () => "/v1/offers", expect: signedIn({}, 200) },
  "POST /v1/licenses": {
    path: () => "/v1/licenses",
    body: (s) => ({ offerId: s.offers.oneTime }),
    mutates: true,
    expect: signedIn({ buyer: 201, otherBuyer: 201 }),
  },
  "GET /v1/licenses": { path: () => "/v1/licenses", expect: signedIn({ buyer: 200, otherBuyer: 200 }) },
  "GET /v1/licenses/:licenseId": {
    path: (s) => `/v1/licenses/${s.licenses.perUse}`,
    expect: signedIn({ buyer: 200, otherBuyer: 404 }),
  },
  "GET /v1/licenses/:licenseId/deposit-instructions": {
    path: (s) => `/v1/licenses/${s.licenses.oneTime}/deposit-instructions`,
    expect: signedIn({ buyer: 200, otherBuyer: 404 }),
  },
  "GET /v1/licenses/:licenseId/money": {
    path: (s) => `/v1/licenses/${s.licenses.perUse}/money`,
    expect: signedIn({ buyer: 200, otherBuyer: 404 }),
  },
  "POST /v1/licenses/:licenseId/cancel": {
    path: (s) => `/v1/licenses/${s.licenses.revenueShare}/cancel`,
    mutates: true,
    // Another buyer's license is not found; a buyer without that license cannot cancel it.
    expect: signedIn({ buyer: 200, otherBuyer: 404 }),
  },
  "POST /v1/usage": {
    path: () => "/v1/usage",
    apiKey: true,
    mutates: true,
    body: (s) => ({
      events: [
        {
          licenseId: s.licenses.perUse,
          datasetId: s.datasets.d1,
          itemRef: "m",
          units: "3",
          occurredAt: new Date(Date.now() - MIN).toISOString(),
          idempotencyKey: "matrix-1",
        },
      ],
    }),
    // Sessions never stand in for an API key; the other buyer's key does not reach this buyer's license.
    expect: { ...every(401), buyer: 200, otherBuyer: 422 },
  },
  "POST /v1/usage/corrections": {
    path: () => "/v1/usage/corrections",
    apiKey: true,
    mutates: true,
    async body(s, role, t) {
      // The buyer's event to correct (idempotent: re-sent for each role, the same event, stored once).
      if (!correctedAt.has(s)) correctedAt.set(s, new Date(Date.now() - MIN).toISOString());
      const occurredAt = correctedAt.get(s);
      const ev = { licenseId: s.licenses.perUse, datasetId: s.datasets.d1, itemRef: "m", units: "3", occurredAt };
      await request(t.app)
        .post("/v1/usage")
        .set("x-api-key", s.apiKey)
        .send({ events: [{ ...ev, idempotencyKey: "matrix-c" }] })
        .expect(200);
      return {
        corrections: [{ licenseId: s.licenses.perUse, idempotencyKey: "matrix-c", units: "1", correctionKey: role }],
      };
    },
    // Sessions never stand in for an API key; the other buyer's key finds no such event of its own.
    expect: { ...every(401), buyer: 200, otherBuyer: 404 },
  },
  "POST /v1/operator/epochs": {
    path: () => "/v1/operator/epochs",
    body: () => ({}),
    mutates: true,
    expect: signedIn({ operator: 201 }),
  },
  "GET /v1/operator/roles": { path: () => "/v1/operator/roles", expect: signedIn({ operator: 200 }) },
  "POST /v1/operator/roles": {
    path: () => "/v1/operator/roles",
    body: () => ({ address: d(99).slice(0, 42), role: "auditor" }),
    mutates: true,
    expect: signedIn({ operator: 201 }),
  },
  "DELETE /v1/operator/roles/:address/:role": {
    path: (s) => `/v1/operator/roles/${s.auditor.address}/auditor`,
    mutates: true,
    expect: signedIn({ operator: 200 }),
  },
  "GET /v1/audit-log": { path: () => "/v1/audit-log", expect: signedIn({ operator: 200, auditor: 200 }) },
  // Consent governance (issue 13).
  "POST /v1/datasets/:datasetId/attestations": {
    path: (s) => `/v1/datasets/${s.datasets.d2}/attestations`,
    body: (s) => signAttestation(s.creatorA, s.datasets.d2, "inference", new Date(Date.now() - MIN)),
    mutates: true,
    expect: signedIn({ creator: 201, otherCreator: 404 }),
  },
  "POST /v1/attestations/:attestationId/withdraw": {
    path: (s) => `/v1/attestations/${s.attestationId}/withdraw`,
    body: () => ({}),
    mutates: true,
    expect: signedIn({ creator: 200, otherCreator: 404 }),
  },
  "GET /v1/datasets/:datasetId/consent-coverage": {
    path: (s) => `/v1/datasets/${s.datasets.d1}/consent-coverage`,
    expect: signedIn({ creator: 200, otherCreator: 404 }),
  },
  "GET /v1/consents/:consentId/receipts": {
    path: (s) => `/v1/consents/${s.consentId}/receipts`,
    expect: signedIn({ creator: 200, otherCreator: 404 }),
  },
  "GET /v1/receipts/signer": { path: () => "/v1/receipts/signer", expect: every(200) },
  // Any signed-in address may be a contributor: each sees (its own, here none) pending share changes.
  "GET /v1/share-changes/pending": { path: () => "/v1/share-changes/pending", expect: signedIn({}, 200) },
  // Only a contributor the change lowers may approve it; for everyone else it does not exist.
  "POST /v1/share-changes/:changeId/approve": {
    path: () => "/v1/share-changes/00000000-0000-4000-8000-000000000000/approve",
    body: () => ({}),
    expect: signedIn({}, 404),
  },
  "GET /v1/buyers/me/revocations": {
    path: () => "/v1/buyers/me/revocations?since=0",
    expect: signedIn({ buyer: 200, otherBuyer: 200 }),
  },
  "POST /v1/webhooks": {
    path: () => "/v1/webhooks",
    body: (_s, role) => ({
      url: "https://hooks.example.org/tributary",
      role: role === "creator" || role === "otherCreator" ? "creator" : "buyer",
      events: ["consent.revoked"],
    }),
    mutates: true,
    expect: signedIn({ creator: 201, otherCreator: 201, buyer: 201, otherBuyer: 201 }),
  },
  "GET /v1/webhooks": {
    path: () => "/v1/webhooks",
    expect: signedIn({ creator: 200, otherCreator: 200, buyer: 200, otherBuyer: 200 }),
  },
  "DELETE /v1/webhooks/:endpointId": {
    path: (s) => `/v1/webhooks/${s.webhookId}`,
    mutates: true,
    expect: signedIn({ creator: 200, otherCreator: 404, buyer: 404, otherBuyer: 404 }),
  },
  "GET /v1/webhooks/:endpointId/deliveries": {
    path: (s) => `/v1/webhooks/${s.webhookId}/deliveries`,
    expect: signedIn({ creator: 200, otherCreator: 404, buyer: 404, otherBuyer: 404 }),
  },
  "GET /v1/offers/:offerId/terms": { path: (s) => `/v1/offers/${s.offers.perUse}/terms`, expect: signedIn({}, 200) },
  "GET /v1/offers/:offerId/rsl": { path: (s) => `/v1/offers/${s.offers.perUse}/rsl`, expect: signedIn({}, 200) },
  "POST /v1/terms/rsl/import": {
    path: () => "/v1/terms/rsl/import",
    body: () => ({ xml: '<rsl><content url="urn:tributary:dataset:0x' + "ab".repeat(32) + '"/></rsl>' }),
    expect: signedIn({ creator: 200, otherCreator: 200 }),
  },
  "GET /v1/datasets/:datasetId/tdm-assertion": {
    path: (s) => `/v1/datasets/${s.datasets.d1}/tdm-assertion`,
    expect: signedIn({}, 200),
  },
  "GET /v1/datasets/:datasetId/datasheet": {
    path: (s) => `/v1/datasets/${s.datasets.d1}/datasheet`,
    // The owner and the buyer holding licenses on it; the other creator and a buyer without one see nothing.
    expect: signedIn({ creator: 200, otherCreator: 404, buyer: 200, otherBuyer: 404 }),
  },
  "GET /v1/operator/epochs/:epoch/audit-export": {
    path: () => "/v1/operator/epochs/1/audit-export",
    expect: signedIn({ operator: 200, auditor: 200 }),
  },
  "GET /v1/licenses/:licenseId/usage-receipt": {
    path: (s) => `/v1/licenses/${s.licenses.perUse}/usage-receipt?idempotencyKey=never-sent`,
    // Only buyers reach it; the buyer's own license has no such event, the other buyer's is not found at all.
    expect: signedIn({ buyer: 404, otherBuyer: 404 }),
  },
  "GET /v1/datasets/:datasetId/usage-receipts/:epoch": {
    path: (s) => `/v1/datasets/${s.datasets.d1}/usage-receipts/1`,
    expect: signedIn({ creator: 200, otherCreator: 404 }),
  },
  "GET /v1/licenses/:licenseId/training-summary": {
    path: (s) => `/v1/licenses/${s.licenses.perUse}/training-summary`,
    expect: signedIn({ buyer: 200, otherBuyer: 404 }),
  },
  "GET /v1/licenses/:licenseId/training-summary/html": {
    path: (s) => `/v1/licenses/${s.licenses.perUse}/training-summary/html`,
    expect: signedIn({ buyer: 200, otherBuyer: 404 }),
  },
};

describe(`authorization matrix: every route × every role (${TEST_DATABASE})`, () => {
  let t: TestApi;
  let s: MatrixScenario;
  let dirty = false;

  async function setUp() {
    await t.reset();
    const base = await buildScenario(t);
    // Epoch 1 ends ten minutes ago, so the public epoch routes have data and later usage is still open.
    const endsAt = new Date(Math.floor((Date.now() - 10 * MIN) / 1000) * 1000).toISOString();
    await request(t.app).post("/v1/operator/epochs").set(bearer(base.tokens.operator)).send({ endsAt }).expect(201);
    const keys = await request(t.app).get("/v1/buyers/me/api-keys").set(bearer(base.tokens.buyer)).expect(200);
    const hook = await request(t.app)
      .post("/v1/webhooks")
      .set(bearer(base.tokens.creatorA))
      .send({ url: "https://hooks.example.org/a", role: "creator", events: ["license.taken"] })
      .expect(201);
    s = { ...base, apiKeyId: keys.body[0].id, webhookId: hook.body.id };
  }

  before(async () => {
    t = await startTestApi();
    await setUp();
  });
  after(async () => t?.close());

  it("lists every route of the router, and nothing else", () => {
    const stack = (
      t.app as unknown as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } }
    ).router.stack;
    const routes = stack
      .filter((l) => l.route)
      .flatMap((l) => Object.keys(l.route!.methods).map((m) => `${m.toUpperCase()} ${l.route!.path}`));
    expect(routes.length).to.be.greaterThan(30);
    expect(Object.keys(matrix).sort()).to.deep.equal([...new Set(routes)].sort());
  });

  const credentials = (role: Role, c: Case): Promise<Record<string, string>> | Record<string, string> => {
    if (role === "anonymous") return {};
    if (c.apiKey && role === "buyer") return { "x-api-key": s.apiKey };
    if (c.apiKey && role === "otherBuyer") return { "x-api-key": s.otherApiKey };
    const who = {
      creator: s.creatorA,
      otherCreator: s.creatorB,
      buyer: s.buyer,
      otherBuyer: s.otherBuyer,
      auditor: s.auditor,
      operator: t.operator,
    }[role];
    if (c.freshSession) return signIn(t.app, who).then(bearer);
    const tok = {
      creator: s.tokens.creatorA,
      otherCreator: s.tokens.creatorB,
      buyer: s.tokens.buyer,
      otherBuyer: s.tokens.otherBuyer,
      auditor: s.tokens.auditor,
      operator: s.tokens.operator,
    }[role];
    return bearer(tok);
  };

  for (const [key, c] of Object.entries(matrix)) {
    it(`${key}: ${ROLES.map((r) => `${r} ${c.expect[r]}`).join(", ")}`, async () => {
      // A mutating route gets a fresh scenario, and so does the first route after it.
      if (c.mutates || dirty) await setUp();
      dirty = c.mutates === true;
      const [method, template] = key.split(" ");
      const got: Partial<Record<Role, number>> = {};
      for (const role of ROLES) {
        const path = c.path(s);
        let req = request(t.app)
          [method.toLowerCase() as "get" | "post" | "put" | "delete"](path)
          .set(await credentials(role, c));
        if (c.body) req = req.send(await c.body(s, role, t));
        const res = await req;
        got[role] = res.status;
        if (res.status >= 400)
          expect(res.headers["content-type"], `${role} ${template}`).to.match(/application\/problem\+json/);
      }
      expect(got).to.deep.equal(c.expect);
    });
  }
});
