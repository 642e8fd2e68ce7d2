/**
 * Every operation in /openapi.json, fuzzed (fast-check): path and query parameters and bodies generated from the
 * document's own schemas, with any value swapped for a hostile one — NUL, lone surrogates, deep nesting, extreme
 * dates, huge strings and arrays, wrong types. The properties: no 5xx ever; every error is problem+json with its
 * status; a refused write leaves every table's row count unchanged. API_FUZZ_RUNS (default 200) cases per
 * operation; the counts per status are printed at the end.
 */
import { expect } from "chai";
import fc from "fast-check";
import request from "supertest";
import { buildOpenApi } from "../../../offchain/api/openapi";
import { bearer, TOKEN, startTestApi, type TestApi } from "../helpers/api";
import { TEST_DATABASE } from "../helpers/database";
import { buildScenario, type Scenario } from "../helpers/scenario";

const RUNS = Number(process.env.API_FUZZ_RUNS ?? 200);

type Schema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  oneOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  format?: string;
  example?: unknown;
  pattern?: string;
};
type Parameter = { name: string; in: "path" | "query"; schema: Schema };
type Operation = {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  security?: Record<string, unknown>[];
};

// Deep documents are spliced into the JSON text: JSON.stringify would recurse 100,000 levels.
const DEEP = "\u0001deep\u0001";
const deepJson = (levels: number) => '{"n":'.repeat(levels) + "1" + "}".repeat(levels);
const utf16 = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  maxLength: 40,
});
const hostileString = fc.oneof(
  fc.constantFrom("a\u0000b", "\u0000", "\uD800", "x\uDC00y", "\uDBFF\uDBFF", "", " ", "null", "-1", "1.5"),
  fc.constantFrom(
    "9999-12-31T23:59:59Z",
    "0000-01-01T00:00:00Z",
    "+275760-09-13T00:00:00.000Z",
    "1969-12-31T23:59:59Z",
  ),
  fc.constantFrom("2999-12-31T23:59:59.999Z", "1970-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-01-01T24:00:00Z"),
  fc.constantFrom((1n << 256n).toString(), ((1n << 256n) - 1n).toString(), "1e999", "0x10", "00"),
  fc.constantFrom("0x" + "ff".repeat(32), "0x" + "FF".repeat(20), "0x" + "0".repeat(40), "0x"),
  utf16,
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileString, weight: 6 },
  { arbitrary: fc.constantFrom(null, true, 0, -1, 1.5, 2 ** 53, -(2 ** 31), Number.MAX_VALUE), weight: 2 },
  { arbitrary: fc.constantFrom(DEEP), weight: 1 },
  { arbitrary: fc.constant("x".repeat(200_000)), weight: 1 },
  { arbitrary: fc.constant(Array.from({ length: 20_000 }, () => "a")), weight: 1 },
  { arbitrary: fc.constantFrom({}, [], [null], { "\u0000": 1 }, { a: "\uD800" }), weight: 1 },
);
const encodeParam = (v: unknown): string => {
  if (typeof v !== "string") return encodeURIComponent(JSON.stringify(v) ?? "");
  try {
    return encodeURIComponent(v);
  } catch {
    // A lone surrogate has no UTF-8 form: send the bytes a careless client would (CESU-8).
    return "%ED%A0%80";
  }
};
const rawParam = fc.constantFrom("%00", "%ED%A0%80", "%FF", "%", "%%", "..", "%2F", "x".repeat(5000));

describe(`fuzz: every operation of /openapi.json, ${RUNS} cases each (${TEST_DATABASE})`, function () {
  this.timeout(0);
  let t: TestApi;
  let s: Scenario;
  let doc: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };
  let countsSql: string;
  const statuses = new Map<string, Map<number, number>>();

  before(async () => {
    t = await startTestApi();
    s = await buildScenario(t);
    doc = buildOpenApi(t.app.locals.routes) as typeof doc;
    const tables = await t.db.prisma.$queryRaw<{ tablename: string }[]>`
      SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY 1`;
    // Every table's row count in one statement, compared before and after each refused write.
    countsSql = `SELECT json_build_object(${tables
      .map(({ tablename }) => `'${tablename}', (SELECT count(*) FROM "${tablename}")`)
      .join(", ")})::text AS counts`;
  });
  after(async () => {
    const lines = [...statuses].map(
      ([op, m]) =>
        `  ${op.padEnd(58)} ${[...m]
          .sort((a, b) => a[0] - b[0])
          .map(([st, n]) => `${st}×${n}`)
          .join(" ")}`,
    );
    const total = new Map<number, number>();
    for (const m of statuses.values()) for (const [st, n] of m) total.set(st, (total.get(st) ?? 0) + n);
    console.log(`\n  fuzz responses per status (${RUNS} cases per operation):\n${lines.join("\n")}`);
    console.log(
      `  total: ${[...total]
        .sort((a, b) => a[0] - b[0])
        .map(([st, n]) => `${st}×${n}`)
        .join(" ")}\n`,
    );
    await t?.close();
  });

  const counts = async () => (await t.db.prisma.$queryRawUnsafe<{ counts: string }[]>(countsSql))[0].counts;
  const deref = (schema: Schema): Schema =>
    schema.$ref ? deref(doc.components.schemas[schema.$ref.split("/").pop()!]) : schema;

  /** Values the scenario makes meaningful, by field name, so some generated requests reach the services. */
  function pool(name: string | undefined): unknown[] | undefined {
    switch (name) {
      case "datasetId":
        return Object.values(s.datasets);
      case "licenseId":
        return Object.values(s.licenses);
      case "offerId":
        return Object.values(s.offers);
      case "consentId":
        return [s.consentId];
      case "token":
        return [TOKEN];
      case "account":
        return [s.creatorA.address, s.contributor];
      case "epoch":
        return [1, 2, "1"];
      default:
        return undefined;
    }
  }

  function valid(schema: Schema, name?: string): fc.Arbitrary<unknown> {
    const sc = deref(schema);
    const known = pool(name);
    if (known) return fc.constantFrom(...known);
    if (sc.oneOf) return fc.oneof(...sc.oneOf.map((o) => valid(o)));
    if (sc.enum) return fc.constantFrom(...sc.enum);
    const type = Array.isArray(sc.type) ? sc.type.find((x) => x !== "null") : sc.type;
    switch (type) {
      case "object": {
        const props = sc.properties ?? {};
        const shape = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, field(v, k)]));
        return fc.record(shape, { requiredKeys: (sc.required ?? []).filter((k) => k in props) });
      }
      case "array":
        return fc.array(field(sc.items ?? {}), {
          minLength: sc.minItems ?? 0,
          maxLength: Math.min(sc.maxItems ?? 3, 3),
        });
      case "integer":
      case "number":
        return fc.integer({ min: sc.minimum ?? -1000, max: Math.min(sc.maximum ?? 1e6, 2 ** 31) });
      case "boolean":
        return fc.boolean();
      case "string":
        if (sc.format === "date-time")
          return fc.integer({ min: -86_400_000, max: 3_600_000 }).map((d) => new Date(Date.now() + d).toISOString());
        if (sc.example !== undefined) return fc.constant(sc.example);
        return fc.string({ minLength: 1, maxLength: 30 });
      default:
        return fc.anything({ maxDepth: 2 });
    }
  }
  /** A field's value: usually valid, one time in five hostile. */
  const field = (schema: Schema, name?: string) =>
    fc.oneof({ arbitrary: valid(schema, name), weight: 4 }, { arbitrary: hostileValue, weight: 1 });

  function credentials(op: Operation, path: string): Record<string, string> {
    const kind = Object.keys(op.security?.[0] ?? {})[0];
    if (kind === "apiKey") return { "x-api-key": s.apiKey };
    if (kind !== "session") return {};
    if (path.startsWith("/v1/operator") || path === "/v1/audit-log") return bearer(s.tokens.operator);
    if (path.startsWith("/v1/licenses") || path.startsWith("/v1/buyers/me")) return bearer(s.tokens.buyer);
    // Logging out would end the shared session: it gets its own, which the fuzz may end.
    if (path === "/v1/auth/logout") return bearer(s.tokens.stranger);
    return bearer(s.tokens.creatorA);
  }

  it("the document lists every route of the app", () => {
    const ops = Object.values(doc.paths).flatMap((p) => Object.keys(p));
    expect(ops.length).to.equal(t.app.locals.routes.length);
  });

  it("no operation answers 5xx; errors are problem+json; refused writes change no table", async () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const params = op.parameters ?? [];
        const pathParams = params.filter((p) => p.in === "path");
        const queryParams = params.filter((p) => p.in === "query");
        const bodySchema = op.requestBody?.content["application/json"]?.schema;
        const arb = fc.record({
          path: fc.tuple(
            ...pathParams.map((p) =>
              fc.oneof(
                { arbitrary: valid(p.schema, p.name).map(encodeParam), weight: 3 },
                { arbitrary: hostileString.map(encodeParam), weight: 1 },
                { arbitrary: rawParam, weight: 1 },
              ),
            ),
          ),
          query: fc.array(
            fc.tuple(
              fc.oneof(fc.constantFrom(...queryParams.map((p) => p.name), "surprise"), utf16.map(encodeParam)),
              fc.oneof(fc.constantFrom("1", "2", "100", "1000", "0", "-1"), hostileString.map(encodeParam), rawParam),
            ),
            { maxLength: queryParams.length ? 3 : 1 },
          ),
          body: bodySchema ? field(bodySchema) : fc.constant(undefined),
        });
        const key = `${method.toUpperCase()} ${path}`;
        const seen = new Map<number, number>();
        statuses.set(key, seen);
        await fc.assert(
          fc.asyncProperty(arb, async (c) => {
            let i = 0;
            const url =
              path.replace(/\{[^}]+\}/g, () => c.path[i++] ?? "x") +
              (c.query.length ? `?${c.query.map(([k, v]) => `${k}=${v}`).join("&")}` : "");
            const before = method === "get" ? undefined : await counts();
            let req = request(t.app)[method as "get"](url).set(credentials(op, path));
            if (c.body !== undefined) {
              const text = JSON.stringify(c.body).replaceAll(JSON.stringify(DEEP), deepJson(100_000));
              req = req.set("content-type", "application/json").send(text);
            }
            const res = await req;
            seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
            const label = `${key} ${url.slice(0, 200)} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
            expect(res.status, label).to.be.below(500);
            if (res.status >= 400) {
              expect(res.headers["content-type"], label).to.match(/^application\/problem\+json/);
              expect(res.body.status, label).to.equal(res.status);
              if (before !== undefined) expect(await counts(), label).to.equal(before);
            }
          }),
          {
            numRuns: RUNS,
            endOnFailure: true,
            // The counterexample can hold megabytes (a 200 KB string, 20,000 items): report the assertion and seed.
            reporter(out) {
              if (out.failed) {
                const why = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
                throw new Error(`${key}: ${why.slice(0, 1500)} (seed ${out.seed}, path ${out.counterexamplePath})`);
              }
            },
          },
        );
      }
    }
  });
});
