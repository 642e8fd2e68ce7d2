import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import express from "express";
import request from "supertest";
import { buildWeb, PAGES } from "../../../offchain/web/build";
import { mountWeb } from "../../../offchain/web/serve";
import { createCommon } from "../../../offchain/common";
import { loadConfig } from "../../../offchain/config";
import { startTestApi, type TestApi } from "../helpers/api";

describe("offchain/web/build and serve", function () {
  this.timeout(60_000);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-web-"));
  let files: { file: string; bytes: number; gzip: number }[];
  const common = createCommon(
    loadConfig({
      LOG_LEVEL: "silent",
      CHAIN_ID: "31337",
      SPLITTER_ADDRESS: "0x" + "5b".repeat(20),
      WEB_RPC_URL: "http://127.0.0.1:8545",
    }),
    { defaultMetrics: false },
  );

  before(async () => {
    files = await buildWeb({ outDir: out, quiet: true });
  });
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it("bundles every page into one HTML file and one module script, and reports each file's size", () => {
    for (const page of PAGES) {
      const html = fs.readFileSync(path.join(out, `${page}.html`), "utf8");
      expect(html).to.contain(`<script type="module" src="/${page}.js"></script>`);
      const js = files.find((f) => f.file === `${page}.js`);
      expect(js?.bytes, `${page}.js size`).to.be.greaterThan(0);
      expect(js!.gzip).to.be.lessThan(js!.bytes);
    }
  });

  it("references nothing outside the app: no http(s) URL in any src or href of the pages", () => {
    for (const f of files.filter((x) => x.file.endsWith(".html") || x.file.endsWith(".css"))) {
      const text = fs.readFileSync(path.join(out, f.file), "utf8");
      expect(text, f.file).not.to.match(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
      expect(text, f.file).not.to.match(/url\(\s*["']?(https?:)?\/\//i);
    }
  });

  it("serves the pages, their bundles and the public web config; answers 503 with the build command when unbuilt", async () => {
    const app = express();
    mountWeb(app, { common, dist: out });
    const page = await request(app).get("/creator").expect(200);
    expect(page.text).to.contain("Tributary · Creator");
    await request(app)
      .get("/creator.js")
      .expect(200)
      .expect("content-type", /javascript/);
    await request(app).get("/auditor").expect(200);
    await request(app).get("/buyer").expect(200);
    const cfg = await request(app).get("/web-config.json").expect(200);
    expect(cfg.body).to.deep.equal({
      chainId: 31337,
      splitter: "0x" + "5b".repeat(20),
      rpcUrl: "http://127.0.0.1:8545",
    });

    const bare = express();
    mountWeb(bare, { common, dist: path.join(out, "missing") });
    expect((await request(bare).get("/creator").expect(503)).text).to.contain("npm run web:build");
  });

  describe("wired into the API app", () => {
    let t: TestApi;
    before(async () => {
      t = await startTestApi();
    });
    after(async () => t?.close());

    it("serves /web-config.json next to the API, and the API's 404 still answers problem+json", async () => {
      const cfg = await request(t.app).get("/web-config.json").expect(200);
      expect(cfg.body.chainId).to.equal(31337);
      const missing = await request(t.app).get("/no-such-page").expect(404);
      expect(missing.headers["content-type"]).to.match(/problem\+json/);
    });
  });
});
