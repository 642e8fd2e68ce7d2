/**
 * The inputs that reached PostgreSQL or the runtime and came back as 500: NUL (U+0000) and lone surrogates in
 * every stored text, deeply nested or oversize metadata, dates outside the supported range. Each is a 400
 * problem+json naming the field, and no row changes. Also: GET /v1/datasets pages with a cursor.
 */
import { expect } from "chai";
import request from "supertest";
import { MAX_DATE, METADATA_LIMITS, MIN_DATE } from "../../../offchain/api/schemas";
import { bearer, startTestApi, type TestApi } from "../helpers/api";
import { rowCounts, TEST_DATABASE } from "../helpers/database";
import { buildScenario, type Scenario } from "../helpers/scenario";

const NUL = "a\u0000b";
const LONE_HIGH = "a\uD800b";
const LONE_LOW = "\uDC00";

function nested(levels: number): Record<string, unknown> {
  let v: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < levels; i++) v = { n: v };
  return v;
}

/** The same document as JSON text, built without recursion. */
const nestedJson = (levels: number) => '{"n":'.repeat(levels - 1) + '{"leaf":1}' + "}".repeat(levels - 1);

describe(`hostile text, nesting and dates → 400 problem+json, nothing stored (${TEST_DATABASE})`, function () {
  let t: TestApi;
  let s: Scenario;
  before(async () => {
    t = await startTestApi();
    s = await buildScenario(t);
  });
  after(async () => t?.close());

  async function refused(method: "post" | "put", path: string, token: string | { key: string }, body: unknown) {
    const before = await rowCounts(t.db);
    const auth = typeof token === "string" ? bearer(token) : { "x-api-key": token.key };
    // A string is sent as raw JSON: a 100,000-level document is built as text (JSON.stringify would recurse).
    const raw = typeof body === "string" ? body : JSON.stringify(body);
    const res = await request(t.app)[method](path).set(auth).set("content-type", "application/json").send(raw);
    const label = `${method} ${path} ${raw.slice(0, 120)}`;
    expect(res.status, `${label}: ${JSON.stringify(res.body).slice(0, 300)}`).to.equal(400);
    expect(res.headers["content-type"], label).to.match(/^application\/problem\+json/);
    expect(res.body.errors, label).to.be.an("array").that.is.not.empty;
    expect(await rowCounts(t.db), label).to.deep.equal(before);
    return res;
  }

  const usage = (over: Record<string, unknown>) => ({
    events: [
      {
        licenseId: s.licenses.perUse,
        datasetId: s.datasets.d1,
        itemRef: "clip-1",
        units: "1",
        occurredAt: new Date().toISOString(),
        idempotencyKey: "hostile-1",
        ...over,
      },
    ],
  });

  for (const [label, bad] of [
    ["NUL", NUL],
    ["a lone high surrogate", LONE_HIGH],
    ["a lone low surrogate", LONE_LOW],
  ] as const) {
    it(`${label} in any stored text is refused with the field's path`, async () => {
      const cases: [string, "post" | "put", string, string | { key: string }, unknown][] = [
        ["/name", "post", "/v1/creators", s.tokens.stranger, { name: bad }],
        ["/name", "post", "/v1/buyers", s.tokens.stranger, { name: bad }],
        [
          "/name",
          "post",
          "/v1/datasets",
          s.tokens.creatorA,
          { name: bad, shares: [{ account: s.contributor, bps: 10_000 }] },
        ],
        [
          "/metadata",
          "post",
          "/v1/datasets",
          s.tokens.creatorA,
          { name: "ok", metadata: { note: bad }, shares: [{ account: s.contributor, bps: 10_000 }] },
        ],
        [
          "/metadata",
          "post",
          "/v1/datasets",
          s.tokens.creatorA,
          { name: "ok", metadata: { [bad]: 1 }, shares: [{ account: s.contributor, bps: 10_000 }] },
        ],
        [
          "/metadata",
          "post",
          "/v1/datasets",
          s.tokens.creatorA,
          { name: "ok", metadata: { list: [{ deep: [bad] }] }, shares: [{ account: s.contributor, bps: 10_000 }] },
        ],
        ["/events/0/itemRef", "post", "/v1/usage", { key: s.apiKey }, usage({ itemRef: bad })],
        ["/events/0/idempotencyKey", "post", "/v1/usage", { key: s.apiKey }, usage({ idempotencyKey: bad })],
        [
          "/itemRef",
          "post",
          `/v1/datasets/${s.datasets.d1}/consents`,
          s.tokens.creatorA,
          { subject: "x", scope: "training", evidenceHash: "0x" + "e1".repeat(32), itemRef: bad },
        ],
        [
          "/subject",
          "post",
          `/v1/datasets/${s.datasets.d1}/consents`,
          s.tokens.creatorA,
          { subject: bad, scope: "training", evidenceHash: "0x" + "e1".repeat(32) },
        ],
      ];
      for (const [path, method, url, tok, body] of cases) {
        const res = await refused(method, url, tok, body);
        expect(res.body.errors.map((e: { path: string }) => e.path)).to.include(path);
      }
    });
  }

  it(`metadata nested deeper than ${METADATA_LIMITS.maxDepth} levels (up to 100,000) is refused; at the limit accepted`, async () => {
    const base = { name: "deep", shares: [{ account: s.contributor, bps: 10_000 }] };
    for (const levels of [METADATA_LIMITS.maxDepth + 1, 5_000, 100_000]) {
      const body = JSON.stringify({ ...base, metadata: "M" }).replace('"M"', nestedJson(levels));
      const res = await refused("post", "/v1/datasets", s.tokens.creatorA, body);
      expect(res.body.errors[0].message).to.match(/nested deeper/);
    }
    const ok = await request(t.app)
      .post("/v1/datasets")
      .set(bearer(s.tokens.creatorA))
      .send({ ...base, metadata: nested(METADATA_LIMITS.maxDepth) })
      .expect(201);
    expect(ok.body.metadata).to.deep.equal(nested(METADATA_LIMITS.maxDepth));
  });

  it(`metadata over ${METADATA_LIMITS.maxBytes} bytes or ${METADATA_LIMITS.maxKeys} keys is refused (7 MB too)`, async () => {
    const base = { name: "big", shares: [{ account: s.contributor, bps: 10_000 }] };
    const oversize = [
      { blob: "x".repeat(METADATA_LIMITS.maxBytes) },
      { blob: "x".repeat(7 * 1024 * 1024) },
      Object.fromEntries(Array.from({ length: METADATA_LIMITS.maxKeys + 1 }, (_, i) => [`k${i}`, i])),
    ];
    for (const metadata of oversize) await refused("post", "/v1/datasets", s.tokens.creatorA, { ...base, metadata });
  });

  it(`dates outside ${MIN_DATE} … ${MAX_DATE} are refused; the bounds themselves parse`, async () => {
    for (const startsAt of [
      "9999-12-31T23:59:59Z",
      "0000-01-01T00:00:00Z",
      "3000-01-01T00:00:00Z",
      "1969-12-31T23:59:59Z",
    ]) {
      const res = await refused("post", "/v1/licenses", s.tokens.buyer, { offerId: s.offers.oneTime, startsAt });
      expect(res.body.errors[0].path).to.equal("/startsAt");
    }
    for (const occurredAt of ["9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z"]) {
      await refused("post", "/v1/usage", { key: s.apiKey }, usage({ occurredAt }));
    }
    const consent = { subject: "x", scope: "training", evidenceHash: "0x" + "e1".repeat(32) };
    await refused("post", `/v1/datasets/${s.datasets.d1}/consents`, s.tokens.creatorA, {
      ...consent,
      grantedAt: "9999-12-31T23:59:59Z",
    });
    await refused("post", "/v1/operator/epochs", s.tokens.operator, { endsAt: "0000-01-01T00:00:00Z" });
  });

  it("GET /v1/datasets pages through every dataset with limit and the after cursor, oldest first", async () => {
    const all = await request(t.app).get("/v1/datasets").set(bearer(s.tokens.creatorA)).expect(200);
    expect(all.body.length).to.be.greaterThan(2);
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const res = await request(t.app)
        .get("/v1/datasets")
        .query({ limit: 2, ...(after ? { after } : {}) })
        .set(bearer(s.tokens.creatorA))
        .expect(200);
      seen.push(...res.body.map((d: { id: string }) => d.id));
      if (res.body.length < 2) break;
      after = res.body[res.body.length - 1].id;
    }
    expect(seen).to.deep.equal(all.body.map((d: { id: string }) => d.id));
    // Another creator's dataset is not a cursor for this one (and says so as a 400, not an empty page).
    const foreign = await request(t.app)
      .get("/v1/datasets")
      .query({ after: s.datasets.d4 })
      .set(bearer(s.tokens.creatorA))
      .expect(400);
    expect(foreign.body.errors[0].path).to.equal("/query/after");
    await request(t.app).get("/v1/datasets").query({ limit: 101 }).set(bearer(s.tokens.creatorA)).expect(400);
  });

  it("text with valid surrogate pairs and other control characters is stored and returned unchanged", async () => {
    const name = "emoji \uD83D\uDE00 tab\t bell\u0007";
    const res = await request(t.app)
      .post("/v1/datasets")
      .set(bearer(s.tokens.creatorA))
      .send({ name, metadata: { "k\uD83D\uDE00": name }, shares: [{ account: s.contributor, bps: 10_000 }] })
      .expect(201);
    expect(res.body.name).to.equal(name);
    expect(res.body.metadata).to.deep.equal({ "k\uD83D\uDE00": name });
  });
});
