/**
 * Serves the built pages (offchain/web/dist) from the Express app, plus the small public settings they need
 * (`/web-config.json`: chain id, splitter address, the JSON-RPC URL the browser may read from). Nothing comes
 * from a CDN. Mount before the app's 404 handler.
 */
import fs from "node:fs";
import path from "node:path";
import express, { type Express } from "express";
import type { Common } from "../common";

export type WebConfig = { chainId: number; splitter: string; rpcUrl: string | null };

export const WEB_DIST = path.join(__dirname, "dist");

/** The settings the pages read at start (all public). */
export function webConfig(common: Common): WebConfig {
  const c = common.config;
  return { chainId: c.chainId, splitter: c.splitterAddress, rpcUrl: c.webRpcUrl ?? null };
}

/**
 * Mounts `/`, `/creator`, `/auditor`, `/buyer` (and their bundles) and `/web-config.json`.
 * @param dist the build output; when it is missing the pages answer 503 saying how to build them.
 */
export function mountWeb(app: Express, { common, dist = WEB_DIST }: { common: Common; dist?: string }): void {
  // One router layer: public static content, kept apart from the API's route table.
  const web = express.Router();
  app.use(web);
  web.get("/web-config.json", (_req, res) => {
    res.setHeader("cache-control", "no-store");
    res.json(webConfig(common));
  });
  if (!fs.existsSync(path.join(dist, "creator.html"))) {
    common.logger.warn({ dist }, "web pages not built: run `npm run web:build`");
    web.get(["/", "/creator", "/auditor", "/buyer"], (_req, res) => {
      res.status(503).type("text/plain").send("The web pages are not built: run `npm run web:build`.\n");
    });
    return;
  }
  web.get("/", (_req, res) => res.sendFile(path.join(dist, "index.html")));
  web.use(express.static(dist, { extensions: ["html"], index: false, fallthrough: true, maxAge: 0 }));
}
