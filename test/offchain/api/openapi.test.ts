/**
 * /openapi.json is as strict as the server: the patterns of ids, addresses and amounts are kept, every operation
 * has an operationId and lists exactly the error statuses its access, inputs and handler allow, the offer terms
 * union has a discriminator. The response checker the API tests install really refuses what the document does not
 * describe (so its silence means something).
 */
import { expect } from "chai";
import { buildOpenApi } from "../../../offchain/api/openapi";
import { routeTable } from "../../../offchain/api/routes";
import { responseChecker, takeViolations } from "../helpers/openapi-responses";

type Op = {
  operationId?: string;
  security: unknown[];
  description?: string;
  responses: Record<string, unknown>;
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
};

describe("offchain/api/openapi", () => {
  const routes = routeTable();
  const doc = buildOpenApi(routes) as {
    paths: Record<string, Record<string, Op>>;
    components: { schemas: Record<string, { properties: Record<string, { pattern?: string }> }> };
  };
  const ops = Object.entries(doc.paths).flatMap(([p, m]) =>
    Object.entries(m).map(([k, op]) => ({ key: `${k} ${p}`, op })),
  );

  it("every operation has a unique operationId and a description", () => {
    const ids = ops.map((o) => o.op.operationId);
    expect(ids.every((id) => typeof id === "string" && id.length > 0)).to.equal(true);
    expect(new Set(ids).size).to.equal(routes.length);
    for (const { key, op } of ops) expect(op.description, key).to.be.a("string").that.is.not.empty;
  });

  it("keeps the patterns of addresses, bytes32 ids and amounts (the server's own rules)", () => {
    const terms = doc.components.schemas.OneTimeOfferTerms.properties;
    expect(terms.token.pattern).to.equal("^0x[0-9a-fA-F]{40}$");
    expect(terms.price.pattern).to.equal("^(0|[1-9][0-9]{0,77})$");
    const text = JSON.stringify(doc);
    expect(text.match(/"pattern"/g)?.length).to.be.greaterThan(30);
    expect(text).to.include('"pattern":"^[^\\\\u0000\\\\uD800-\\\\uDFFF]*$"');
  });

  it("the offer terms union has a discriminator on model with a mapping for each model", () => {
    const schema = doc.paths["/v1/offers"].post.requestBody!.content["application/json"].schema as {
      discriminator: { propertyName: string; mapping: Record<string, string> };
    };
    expect(schema.discriminator.propertyName).to.equal("model");
    expect(Object.keys(schema.discriminator.mapping).sort()).to.deep.equal(
      ["one_time", "per_use", "revenue_share", "subscription"].sort(),
    );
  });

  it("lists exactly the statuses each operation answers: no 401/403 on public routes, 413/415 only with a body", () => {
    for (const { key, op } of ops) {
      const statuses = Object.keys(op.responses);
      expect(statuses, key).to.include("500");
      const route = routes.find((r) => `${r.method} ${r.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}")}` === key)!;
      // A public route is 401 only where its handler says so (sign-in refusing a signature).
      if (route.access.kind === "public" && !Object.keys(route.errors ?? {}).includes("401"))
        expect(statuses, key).to.not.include("401");
      if (route.access.kind !== "session" || !route.access.roles) {
        if (!Object.keys(route.errors ?? {}).includes("403")) expect(statuses, key).to.not.include("403");
      }
      expect(statuses.includes("413"), key).to.equal(route.body !== undefined);
      expect(statuses.includes("415"), key).to.equal(route.body !== undefined);
      expect(statuses.includes("400"), key).to.equal(Boolean(route.params || route.query || route.body));
    }
    expect(Object.keys(doc.paths["/health"].get.responses).sort()).to.deep.equal(["200", "500"]);
    expect(Object.keys(doc.paths["/ready"].get.responses).sort()).to.deep.equal(["200", "500", "503"]);
  });

  it("the response checker refuses a body or a status the document does not describe", () => {
    const check = responseChecker(routes);
    expect(check("GET", "/health", 200, "application/json", { status: "ok" })).to.equal(undefined);
    expect(check("GET", "/health", 200, "application/json", { status: "fine" })).to.match(/must be equal to one of/);
    expect(check("GET", "/health", 401, "application/problem+json", { type: "x", title: "t", status: 401 })).to.match(
      /not documented/,
    );
    expect(check("GET", "/v1/epochs/:epoch", 404, "application/problem+json", { title: "t", status: 404 })).to.match(
      /type/,
    );
    expect(check("GET", "/v1/proofs/:account", 200, "application/json", { account: "0x1", proofs: [{}] })).to.match(
      /required/,
    );
    expect(takeViolations()).to.deep.equal([]);
  });
});
