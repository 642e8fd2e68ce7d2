import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { startApi } from "../../../offchain/api/server";
import { loadConfig } from "../../../offchain/config";
import { rawExchange } from "../helpers/raw-http";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("offchain/api/server", function () {
  it("creates the PGlite data folder, migrates, serves on 127.0.0.1, and reopens the same folder", async () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tributary-server-")), "nested", "data");
    const config = loadConfig({
      DATA_DIR: dir,
      PORT: "0",
      LOG_LEVEL: "silent",
      BOOTSTRAP_OPERATOR: "0x" + "0a".repeat(20),
    });
    const api = await startApi(config);
    try {
      expect(api.db.appliedMigrations.length).to.be.greaterThan(0);
      const ready = await fetch(`${api.url}/ready`);
      expect(ready.status).to.equal(200);
    } finally {
      await api.close();
    }
    const again = await startApi(config);
    try {
      expect(again.db.appliedMigrations).to.deep.equal([]);
      expect(await again.db.prisma.roleAssignment.count({ where: { role: "operator" } })).to.equal(1);
    } finally {
      await again.close();
      fs.rmSync(path.dirname(path.dirname(dir)), { recursive: true, force: true });
    }
  });
  describe("requests Node's parser refuses are answered with problem documents", () => {
    let api: Awaited<ReturnType<typeof startApi>>;
    before(async () => {
      api = await startApi(loadConfig({ DATA_DIR: ":memory:", PORT: "0", LOG_LEVEL: "silent" }));
    });
    after(async () => api.close());

    it("a 100 KB query string is a 431 application/problem+json, and the server keeps serving", async () => {
      const r = await rawExchange(api.url, `GET /health?q=${"a".repeat(100 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect([r.status, r.headers["content-type"], r.headers.connection]).to.deep.equal([
        431,
        "application/problem+json; charset=utf-8",
        "close",
      ]);
      const body = JSON.parse(r.body);
      expect(body.requestId).to.match(UUID);
      expect({ ...body, requestId: "" }).to.deep.equal({
        type: "/problems/headers-too-large",
        title: "Request Header Fields Too Large",
        status: 431,
        detail: "the request line and headers exceed 16384 bytes",
        requestId: "",
      });
      expect(Number(r.headers["content-length"])).to.equal(Buffer.byteLength(r.body));
      expect((await fetch(`${api.url}/health`)).status).to.equal(200);
    });

    it("a request line that is not HTTP is a 400 application/problem+json", async () => {
      const r = await rawExchange(api.url, "NOT HTTP AT ALL\r\n\r\n");
      expect([r.status, r.headers["content-type"]]).to.deep.equal([400, "application/problem+json; charset=utf-8"]);
      expect({ ...JSON.parse(r.body), requestId: "" }).to.deep.equal({
        type: "/problems/bad-request",
        title: "Bad Request",
        status: 400,
        detail: "the request is not valid HTTP/1.1",
        requestId: "",
      });
    });
  });
});
