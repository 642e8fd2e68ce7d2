/**
 * Bad input on every route: malformed JSON, wrong types, unknown fields, bad addresses and ids, negative or
 * non-integer amounts, oversize batches → a 4xx problem+json (never 5xx), and no table changes.
 */
import { expect } from "chai";
import request from "supertest";
import { bearer, startTestApi, TOKEN, type TestApi } from "../helpers/api";
import { rowCounts, TEST_DATABASE } from "../helpers/database";
import { buildScenario, type Scenario } from "../helpers/scenario";

type Sample = {
  body?: (s: Scenario) => Record<string, unknown>;
  path: (s: Scenario) => string;
  fields?: [string, unknown][];
};

const AMOUNT_ABUSE: unknown[] = ["-1", "1.5", 1000, "1e3", "", "0x10", (1n << 256n).toString()];
const ADDRESS_ABUSE: unknown[] = ["0x12", "0x" + "zz".repeat(20), 42, "", "0x" + "11".repeat(21)];
const event = (s: Scenario) => ({
  licenseId: s.licenses.perUse,
  datasetId: s.datasets.d1,
  itemRef: "i",
  units: "1",
  occurredAt: new Date().toISOString(),
  idempotencyKey: "k",
});

/** A valid request per route, and field values that must be refused (path "a.b" inside the body). */
const samples: Record<string, Sample> = {
  "GET /health": { path: () => "/health" },
  "GET /ready": { path: () => "/ready" },
  "GET /metrics": { path: () => "/metrics" },
  "GET /openapi.json": { path: () => "/openapi.json" },
  "GET /docs": { path: () => "/docs" },
  "POST /v1/auth/nonce": { path: () => "/v1/auth/nonce", body: () => ({}) },
  "POST /v1/auth/verify": {
    path: () => "/v1/auth/verify",
    body: () => ({ message: "m", signature: "0x" + "11".repeat(65) }),
    fields: [
      ["signature", "0x12"],
      ["signature", 5],
      ["message", ""],
      ["message", { a: 1 }],
    ],
  },
  "POST /v1/auth/logout": { path: () => "/v1/auth/logout", body: () => ({}) },
  "GET /v1/auth/me": { path: () => "/v1/auth/me" },
  "GET /v1/epochs": { path: () => "/v1/epochs" },
  "GET /v1/epochs/:epoch": { path: () => "/v1/epochs/1" },
  "GET /v1/epochs/:epoch/distribution": { path: () => "/v1/epochs/1/distribution" },
  "GET /v1/distributions/:contentHash": { path: () => `/v1/distributions/0x${"ab".repeat(32)}` },
  "GET /v1/proofs/:account": { path: (s) => `/v1/proofs/${s.creatorA.address}` },
  "POST /v1/creators": {
    path: () => "/v1/creators",
    body: () => ({ name: "x" }),
    fields: [
      ["name", ""],
      ["name", 7],
      ["name", "x".repeat(201)],
    ],
  },
  "POST /v1/datasets": {
    path: () => "/v1/datasets",
    body: (s) => ({ name: "d", shares: [{ account: s.contributor, bps: 10_000 }] }),
    fields: [
      ["id", "0x1234"],
      ["shares", []],
      ["shares", "all"],
      ["shares.0.bps", 1.5],
      ["shares.0.bps", -1],
      ["shares.0.bps", "10000"],
      ...ADDRESS_ABUSE.map((v): [string, unknown] => ["shares.0.account", v]),
      ["metadata", "meta"],
    ],
  },
  "GET /v1/datasets": { path: () => "/v1/datasets" },
  "GET /v1/datasets/:datasetId": { path: (s) => `/v1/datasets/${s.datasets.d1}` },
  "PUT /v1/datasets/:datasetId/shares": {
    path: (s) => `/v1/datasets/${s.datasets.d2}/shares`,
    body: (s) => ({ shares: [{ account: s.contributor, bps: 10_000 }] }),
    fields: [
      ["shares.0.bps", 0],
      ["shares.0.bps", 10_001],
      ...ADDRESS_ABUSE.map((v): [string, unknown] => ["shares.0.account", v]),
      ["effectiveAt", "tomorrow"],
      ["effectiveAt", "1969-12-31T23:59:59Z"],
    ],
  },
  "GET /v1/share-changes/pending": { path: () => "/v1/share-changes/pending" },
  "POST /v1/share-changes/:changeId/approve": {
    path: () => "/v1/share-changes/00000000-0000-4000-8000-000000000000/approve",
  },
  "POST /v1/datasets/:datasetId/consents": {
    path: (s) => `/v1/datasets/${s.datasets.d1}/consents`,
    body: () => ({ subject: "s", scope: "training", evidenceHash: "0x" + "11".repeat(32) }),
    fields: [
      ["scope", "everything"],
      ["evidenceHash", "0x12"],
      ["grantedAt", "yesterday"],
      ["subject", ""],
      ["itemRef", 3],
    ],
  },
  "GET /v1/datasets/:datasetId/consents": { path: (s) => `/v1/datasets/${s.datasets.d1}/consents` },
  "POST /v1/consents/:consentId/revoke": {
    path: (s) => `/v1/consents/${s.consentId}/revoke`,
    body: () => ({}),
    fields: [
      ["revokedAt", "soon"],
      ["revokedAt", 1],
    ],
  },
  "GET /v1/creators/me/earnings": { path: () => "/v1/creators/me/earnings" },
  "GET /v1/creators/me/claimable": { path: () => "/v1/creators/me/claimable" },
  "POST /v1/buyers": {
    path: () => "/v1/buyers",
    body: () => ({ name: "x" }),
    fields: [
      ["name", ""],
      ["name", null],
    ],
  },
  "POST /v1/buyers/me/api-keys": { path: () => "/v1/buyers/me/api-keys", body: () => ({}) },
  "GET /v1/buyers/me/api-keys": { path: () => "/v1/buyers/me/api-keys" },
  "DELETE /v1/buyers/me/api-keys/:keyId": { path: () => "/v1/buyers/me/api-keys/00000000-0000-4000-8000-000000000000" },
  "POST /v1/offers": {
    path: () => "/v1/offers",
    body: (s) => ({
      model: "one_time",
      price: "5",
      token: TOKEN,
      scope: "training",
      durationSeconds: 3600,
      datasets: [{ datasetId: s.datasets.d2, weightBps: 10_000 }],
    }),
    fields: [
      ...AMOUNT_ABUSE.map((v): [string, unknown] => ["price", v]),
      ["price", "0"],
      ...ADDRESS_ABUSE.map((v): [string, unknown] => ["token", v]),
      ["model", "bogus"],
      ["durationSeconds", "3600"],
      ["durationSeconds", 1.5],
      ["datasets", []],
      ["datasets.0.datasetId", "0x12"],
      ["datasets.0.weightBps", -5],
      ["ratePerUnit", "5"],
    ],
  },
  "GET /v1/offers": { path: () => "/v1/offers" },
  "POST /v1/licenses": {
    path: () => "/v1/licenses",
    body: (s) => ({ offerId: s.offers.oneTime }),
    fields: [
      ["offerId", "not-a-uuid"],
      ["offerId", 1],
      ["startsAt", "now"],
    ],
  },
  "GET /v1/licenses": { path: () => "/v1/licenses" },
  "GET /v1/licenses/:licenseId": { path: (s) => `/v1/licenses/${s.licenses.perUse}` },
  "GET /v1/licenses/:licenseId/deposit-instructions": {
    path: (s) => `/v1/licenses/${s.licenses.perUse}/deposit-instructions`,
  },
  "GET /v1/licenses/:licenseId/money": { path: (s) => `/v1/licenses/${s.licenses.perUse}/money` },
  "GET /v1/licenses/:licenseId/usage-receipt": {
    path: (s) => `/v1/licenses/${s.licenses.perUse}/usage-receipt?idempotencyKey=k1`,
  },
  "GET /v1/datasets/:datasetId/usage-receipts/:epoch": {
    path: (s) => `/v1/datasets/${s.datasets.d1}/usage-receipts/1`,
  },
  "GET /v1/operator/epochs/:epoch/audit-export": { path: () => "/v1/operator/epochs/1/audit-export" },
  "POST /v1/licenses/:licenseId/cancel": { path: (s) => `/v1/licenses/${s.licenses.perUse}/cancel` },
  "POST /v1/usage": {
    path: () => "/v1/usage",
    body: (s) => ({ events: [event(s)] }),
    fields: [
      ["events", []],
      ["events", "all"],
      ...AMOUNT_ABUSE.map((v): [string, unknown] => ["events.0.units", v]),
      ["events.0.licenseId", "0x12"],
      ["events.0.datasetId", 5],
      ["events.0.occurredAt", "yesterday"],
      ["events.0.idempotencyKey", ""],
      ["events.0.extra", true],
      ["events.0.currency", "0x12"],
    ],
  },
  "POST /v1/usage/corrections": {
    path: () => "/v1/usage/corrections",
    body: (s) => ({
      corrections: [{ licenseId: s.licenses.perUse, idempotencyKey: "k", units: "0", correctionKey: "c" }],
    }),
    fields: [
      ["corrections", []],
      ["corrections", "all"],
      ...AMOUNT_ABUSE.map((v): [string, unknown] => ["corrections.0.units", v]),
      ["corrections.0.licenseId", "0x12"],
      ["corrections.0.idempotencyKey", ""],
      ["corrections.0.correctionKey", 5],
      ["corrections.0.extra", true],
    ],
  },
  "POST /v1/operator/epochs": {
    path: () => "/v1/operator/epochs",
    body: () => ({}),
    fields: [
      ["endsAt", "tomorrow"],
      ["endsAt", 17],
    ],
  },
  "GET /v1/operator/roles": { path: () => "/v1/operator/roles" },
  "POST /v1/operator/roles": {
    path: () => "/v1/operator/roles",
    body: () => ({ address: "0x" + "99".repeat(20), role: "auditor" }),
    fields: [["role", "king"], ...ADDRESS_ABUSE.map((v): [string, unknown] => ["address", v])],
  },
  "DELETE /v1/operator/roles/:address/:role": { path: (s) => `/v1/operator/roles/${s.auditor.address}/auditor` },
  "GET /v1/audit-log": { path: () => "/v1/audit-log" },
  // Consent governance (issue 13).
  "POST /v1/datasets/:datasetId/attestations": {
    path: (s) => `/v1/datasets/${s.datasets.d2}/attestations`,
    body: () => ({ scope: "inference", issuedAt: "2026-01-01T00:00:00Z", signature: "0x" + "11".repeat(65) }),
    fields: [
      ["scope", "everything"],
      ["issuedAt", "yesterday"],
      ["signature", "0x12"],
      ["signature", 7],
    ],
  },
  "POST /v1/attestations/:attestationId/withdraw": {
    path: (s) => `/v1/attestations/${s.attestationId}/withdraw`,
    body: () => ({}),
  },
  "GET /v1/datasets/:datasetId/consent-coverage": { path: (s) => `/v1/datasets/${s.datasets.d1}/consent-coverage` },
  "GET /v1/consents/:consentId/receipts": { path: (s) => `/v1/consents/${s.consentId}/receipts` },
  "GET /v1/receipts/signer": { path: () => "/v1/receipts/signer" },
  "GET /v1/buyers/me/revocations": { path: () => "/v1/buyers/me/revocations" },
  "POST /v1/webhooks": {
    path: () => "/v1/webhooks",
    body: () => ({ url: "https://hooks.example.org/x", role: "creator", events: ["license.taken"] }),
    fields: [
      ["url", "not a url"],
      ["url", 5],
      ["role", "auditor"],
      ["events", []],
      ["events", ["everything"]],
    ],
  },
  "GET /v1/webhooks": { path: () => "/v1/webhooks" },
  "DELETE /v1/webhooks/:endpointId": { path: () => "/v1/webhooks/00000000-0000-4000-8000-000000000000" },
  "GET /v1/webhooks/:endpointId/deliveries": {
    path: () => "/v1/webhooks/00000000-0000-4000-8000-000000000000/deliveries",
  },
  "GET /v1/offers/:offerId/terms": { path: (s) => `/v1/offers/${s.offers.perUse}/terms` },
  "GET /v1/offers/:offerId/rsl": { path: (s) => `/v1/offers/${s.offers.perUse}/rsl` },
  "POST /v1/terms/rsl/import": {
    path: () => "/v1/terms/rsl/import",
    body: () => ({ xml: "<rsl/>" }),
    fields: [
      ["xml", ""],
      ["xml", 5],
    ],
  },
  "GET /v1/datasets/:datasetId/tdm-assertion": { path: (s) => `/v1/datasets/${s.datasets.d1}/tdm-assertion` },
  "GET /v1/datasets/:datasetId/datasheet": { path: (s) => `/v1/datasets/${s.datasets.d1}/datasheet` },
  "GET /v1/licenses/:licenseId/training-summary": { path: (s) => `/v1/licenses/${s.licenses.perUse}/training-summary` },
  "GET /v1/licenses/:licenseId/training-summary/html": {
    path: (s) => `/v1/licenses/${s.licenses.perUse}/training-summary/html`,
  },
};

/** Bad values for path parameters and query strings (all must be 400). */
const badPaths: Record<string, string[]> = {
  "GET /v1/epochs/:epoch": [
    "/v1/epochs/abc",
    "/v1/epochs/-1",
    "/v1/epochs/1.5",
    "/v1/epochs/0",
    "/v1/epochs/99999999999",
  ],
  "GET /v1/epochs/:epoch/distribution": ["/v1/epochs/x/distribution"],
  "GET /v1/distributions/:contentHash": ["/v1/distributions/0x12", "/v1/distributions/..%2F..%2Fetc%2Fpasswd"],
  "GET /v1/proofs/:account": ["/v1/proofs/0x12", "/v1/proofs/alice"],
  "GET /v1/datasets/:datasetId": ["/v1/datasets/0x12"],
  "PUT /v1/datasets/:datasetId/shares": ["/v1/datasets/nope/shares"],
  "POST /v1/datasets/:datasetId/consents": ["/v1/datasets/nope/consents"],
  "GET /v1/datasets/:datasetId/consents": ["/v1/datasets/nope/consents"],
  "POST /v1/consents/:consentId/revoke": ["/v1/consents/42/revoke"],
  "POST /v1/attestations/:attestationId/withdraw": ["/v1/attestations/42/withdraw"],
  "DELETE /v1/buyers/me/api-keys/:keyId": ["/v1/buyers/me/api-keys/xyz"],
  "GET /v1/licenses/:licenseId": ["/v1/licenses/0xzz"],
  "GET /v1/licenses/:licenseId/deposit-instructions": ["/v1/licenses/1/deposit-instructions"],
  "GET /v1/licenses/:licenseId/money": ["/v1/licenses/0x12/money"],
  "GET /v1/licenses/:licenseId/usage-receipt": [
    "/v1/licenses/0x12/usage-receipt?idempotencyKey=k1",
    `/v1/licenses/0x${"ab".repeat(32)}/usage-receipt`,
    `/v1/licenses/0x${"ab".repeat(32)}/usage-receipt?idempotencyKey=k1&bogus=1`,
  ],
  "GET /v1/datasets/:datasetId/usage-receipts/:epoch": [
    `/v1/datasets/0x${"ab".repeat(32)}/usage-receipts/-1`,
    `/v1/datasets/0x${"ab".repeat(32)}/usage-receipts/one`,
    "/v1/datasets/0x12/usage-receipts/1",
  ],
  "GET /v1/operator/epochs/:epoch/audit-export": [
    "/v1/operator/epochs/-1/audit-export",
    "/v1/operator/epochs/1.5/audit-export",
  ],
  "POST /v1/licenses/:licenseId/cancel": ["/v1/licenses/0xzz/cancel"],
  "POST /v1/share-changes/:changeId/approve": ["/v1/share-changes/42/approve"],
  "DELETE /v1/operator/roles/:address/:role": [
    "/v1/operator/roles/0x12/auditor",
    "/v1/operator/roles/0x" + "11".repeat(20) + "/king",
  ],
  "GET /v1/buyers/me/revocations": ["/v1/buyers/me/revocations?since=-1", "/v1/buyers/me/revocations?bogus=1"],
  "GET /v1/consents/:consentId/receipts": ["/v1/consents/42/receipts"],
  "GET /v1/datasets/:datasetId/datasheet": ["/v1/datasets/nope/datasheet"],
  "GET /v1/webhooks/:endpointId/deliveries": ["/v1/webhooks/x/deliveries"],
  "GET /v1/licenses/:licenseId/training-summary": ["/v1/licenses/0x12/training-summary"],
  "GET /v1/audit-log": [
    "/v1/audit-log?limit=-1",
    "/v1/audit-log?limit=abc",
    "/v1/audit-log?after=x",
    "/v1/audit-log?bogus=1",
    "/v1/audit-log?limit=1.5",
  ],
};

function setPath(obj: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(obj);
  const keys = path.split(".");
  let node: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) node = node[k] as Record<string, unknown>;
  node[keys[keys.length - 1]] = value;
  return copy;
}

describe(`bad input on every route → 4xx problem+json, database unchanged (${TEST_DATABASE})`, () => {
  let t: TestApi;
  let s: Scenario;
  before(async () => {
    t = await startTestApi();
    s = await buildScenario(t);
    const endsAt = new Date(Math.floor((Date.now() - 600_000) / 1000) * 1000).toISOString();
    await request(t.app).post("/v1/operator/epochs").set(bearer(s.tokens.operator)).send({ endsAt }).expect(201);
  });
  after(async () => t?.close());

  function credentials(key: string): Record<string, string> {
    const route = t.app.locals.routes.find((r) => `${r.method.toUpperCase()} ${r.path}` === key)!;
    if (route.access.kind === "apiKey") return { "x-api-key": s.apiKey };
    if (route.access.kind === "public") return {};
    const roles = route.access.roles ?? [];
    if (roles.includes("operator")) return bearer(s.tokens.operator);
    if (roles.includes("creator")) return bearer(s.tokens.creatorA);
    if (roles.includes("buyer")) return bearer(s.tokens.buyer);
    return bearer(s.tokens.stranger);
  }

  async function expectRefused(key: string, send: (r: request.Test) => request.Test, path: string, label: string) {
    const [method] = key.split(" ");
    const before = await rowCounts(t.db);
    const res = await send(request(t.app)[method.toLowerCase() as "get"](path).set(credentials(key)));
    expect(res.status, `${label}: ${JSON.stringify(res.body)}`).to.be.within(400, 499);
    expect(res.headers["content-type"], label).to.match(/^application\/problem\+json/);
    expect(res.body.status, label).to.equal(res.status);
    expect(await rowCounts(t.db), label).to.deep.equal(before);
    return res;
  }

  it("has samples for exactly the router's routes", () => {
    expect(Object.keys(samples).sort()).to.deep.equal(
      t.app.locals.routes.map((r) => `${r.method.toUpperCase()} ${r.path}`).sort(),
    );
  });

  for (const [key, sample] of Object.entries(samples)) {
    it(`${key}: malformed JSON, wrong types, unknown fields and bad values are refused`, async () => {
      const path = sample.path(s);
      // Routes without a body never parse one (a stray body on a GET is ignored, not a 400).
      if (sample.body) {
        const malformed = await expectRefused(
          key,
          (r) => r.set("content-type", "application/json").send('{"events": [1,'),
          path,
          "malformed JSON",
        );
        expect(malformed.status).to.equal(400);
      }
      for (const bad of badPaths[key] ?? []) {
        const res = await expectRefused(key, (r) => r, bad, `path ${bad}`);
        expect(res.status, bad).to.equal(400);
        expect(res.body.errors, bad).to.be.an("array").that.is.not.empty;
      }
      if (!sample.body) return;
      const valid = sample.body(s);
      const cases: [string, unknown][] = [
        ["array body", []],
        ["string body", "text"],
        ["null body", null],
        ["unknown field", { ...valid, surprise: 1 }],
        ...(sample.fields ?? []).map(([f, v]): [string, unknown] => [
          `${f} = ${JSON.stringify(v)}`,
          setPath(valid, f, v),
        ]),
      ];
      for (const [label, body] of cases) {
        const res = await expectRefused(
          key,
          (r) => r.set("content-type", "application/json").send(JSON.stringify(body)),
          path,
          label,
        );
        expect(res.status, label).to.equal(400);
        expect(res.body.errors, label).to.be.an("array").that.is.not.empty;
      }
      const form = await expectRefused(key, (r) => r.type("form").send("a=1"), path, "form body");
      expect([400, 415]).to.include(form.status);
    });
  }

  it("POST /v1/usage: a batch of 10,001 events is refused (400) and a 9 MB body is refused (413)", async () => {
    const events = Array.from({ length: 10_001 }, (_, i) => ({ ...event(s), idempotencyKey: `k${i}` }));
    const res = await expectRefused("POST /v1/usage", (r) => r.send({ events }), "/v1/usage", "10,001 events");
    expect(res.status).to.equal(400);
    expect(res.body.errors[0].path).to.equal("/events");
    const huge = JSON.stringify({ events: [{ ...event(s), itemRef: "x".repeat(9 * 1024 * 1024) }] });
    const big = await expectRefused(
      "POST /v1/usage",
      (r) => r.set("content-type", "application/json").send(huge),
      "/v1/usage",
      "9 MB",
    );
    expect(big.status).to.equal(413);
  });
});
