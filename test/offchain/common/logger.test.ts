import { Writable } from "node:stream";
import { expect } from "chai";
import request from "supertest";
import { createLogger } from "../../../offchain/common/logger";
import { createCommon } from "../../../offchain/common";
import { loadConfig } from "../../../offchain/config";
import { createApp } from "../../../offchain/api/app";
import { openTestDatabase, type TestDb } from "../helpers/database";

describe("offchain/common/logger", function () {
  let db: TestDb;
  before(async () => {
    db = await openTestDatabase();
  });
  after(async () => db?.close());

  it("request logs carry the request id and never the bearer token, API key or body", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const common = createCommon(loadConfig({ LOG_LEVEL: "info" }), {
      logger: createLogger({ level: "info", destination: sink }),
      defaultMetrics: false,
    });
    const app = createApp({ common, db });
    await request(app).get("/v1/epochs").set("Authorization", "Bearer secret-token-123").set("x-request-id", "req-42");
    await request(app)
      .post("/v1/usage")
      .set("x-api-key", "trk_secret-key-456")
      .send({ events: [{ itemRef: "private-item" }] });
    const all = lines.join("");
    expect(all).to.include("req-42");
    expect(all).to.not.include("secret-token-123");
    expect(all).to.not.include("secret-key-456");
    expect(all).to.not.include("private-item");
  });

  it("redacts private fields a handler might log by mistake", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    createLogger({ level: "info", destination: sink }).info(
      { consent: { subject: "alice@example.org", salt: "s4lt" }, key: { apiKey: "k" } },
      "oops",
    );
    expect(lines.join("")).to.not.match(/alice@example|s4lt|"apiKey":"k"/);
  });
});
