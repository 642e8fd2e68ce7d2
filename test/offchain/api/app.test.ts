import { expect } from "chai";
import request from "supertest";
import { startTestApi, type TestApi } from "../helpers/api";
import { TEST_DATABASE } from "../helpers/database";

describe(`offchain/api/app (${TEST_DATABASE})`, function () {
  let t: TestApi;
  before(async () => {
    t = await startTestApi();
  });
  after(async () => t?.close());

  it("answers /health and /ready", async () => {
    expect((await request(t.app).get("/health").expect(200)).body).to.deep.equal({ status: "ok" });
    expect((await request(t.app).get("/ready").expect(200)).body).to.deep.equal({ status: "ready" });
  });

  it("serves Prometheus metrics including per-route request counts", async () => {
    await request(t.app).get("/health");
    const res = await request(t.app).get("/metrics").expect(200);
    expect(res.headers["content-type"]).to.match(/text\/plain/);
    expect(res.text).to.match(/tributary_http_requests_total\{method="get",route="\/health",status="200"\} \d+/);
  });

  it("serves an OpenAPI 3.1 document listing every route, and a local docs page", async () => {
    const doc = (await request(t.app).get("/openapi.json").expect(200)).body as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).to.equal("3.1.0");
    for (const r of t.app.locals.routes) {
      const p = r.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
      expect(doc.paths[p]?.[r.method], `${r.method} ${r.path}`).to.be.an("object");
    }
    const usage = doc.paths["/v1/usage"].post as {
      requestBody: { content: Record<string, { schema: { properties: { events: { maxItems: number } } } }> };
    };
    expect(usage.requestBody.content["application/json"].schema.properties.events.maxItems).to.equal(10_000);
    const docs = await request(t.app).get("/docs").expect(200);
    expect(docs.text)
      .to.include("/openapi.json")
      .and.not.match(/https?:\/\//);
  });

  it("echoes a caller's request id and makes one up otherwise", async () => {
    const mine = await request(t.app).get("/health").set("x-request-id", "abc-123");
    expect(mine.headers["x-request-id"]).to.equal("abc-123");
    const made = await request(t.app).get("/health");
    expect(made.headers["x-request-id"]).to.match(/^[0-9a-f-]{36}$/);
  });

  it("answers malformed JSON with 400 problem+json, not 500", async () => {
    const res = await request(t.app)
      .post("/v1/auth/verify")
      .set("content-type", "application/json")
      .send('{"message": ');
    expect(res.status).to.equal(400);
    expect(res.headers["content-type"]).to.match(/application\/problem\+json/);
    expect(res.body).to.include({ status: 400, title: "Malformed JSON" });
  });

  it("answers an unknown route with 404 problem+json", async () => {
    const res = await request(t.app).get("/v1/nope").expect(404);
    expect(res.headers["content-type"]).to.match(/application\/problem\+json/);
    expect(res.body).to.include({
      status: 404,
      type: "/problems/not-found",
      title: "Not found",
      detail: "no route GET /v1/nope",
      instance: "/v1/nope",
    });
  });
});
