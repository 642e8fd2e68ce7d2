/**
 * GET /v1/proofs/:account ahead of the general middleware stack. It is the one public read that has to take thousands
 * of requests a second (bench:scale: ≥ 5,000 req/s, p99 ≤ 10 ms at 1,000 req/s on a 1M-leaf epoch); profiled under
 * that load, the stack around it (request-id middleware, pino-http's per-request log line and serializers, Express's
 * router, res.json) cost more than the proof itself, which comes from memory (the proof state and the cached tree).
 * The server runs it before Express itself (app.ts `requestListener`): even as Express's first middleware it paid for
 * Express's request set-up, and dropping that took the p99 at 1,000 req/s from 7.4 to 3.0 ms and the sustained rate
 * from ~5,600 to ≥ 12,000 req/s (PGlite, 1M leaves). It is also the app's first middleware, for callers that run the app
 * itself (supertest); a request it has already passed on is not tried twice when it is mounted both ways.
 *
 * Same contract as the route in routes/public.ts (the OpenAPI document comes from that one): the same body
 * (`proofsFor`, JSON.stringify like res.json), the same headers (content-type, content-length, x-request-id echoed
 * or generated) and metrics (route template "/v1/proofs/:account"). Only the plain success case is handled here: a
 * path that is not exactly `/v1/proofs/0x` + 40 hex digits (bad address, encoded characters, trailing slash), a
 * method other than GET, or any error falls through to the general stack, which answers it as it answers every
 * route (problem+json 400 for a bad address, 500 with a logged request id). The API has no rate or size limit of its
 * own beyond Node's (header size, timeouts), which apply here too; a GET body is ignored as it is there.
 *
 * Logging is aggregated: one line per minute with the count of requests served here and the slowest, instead of one
 * per request; nothing per account is logged.
 */
import crypto from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Common } from "../common";
import { proofsFor } from "./services/epochs";
import type { Services } from "./services";

const PROOF_PATH = /^\/v1\/proofs\/(0x[0-9a-fA-F]{40})(?:\?.*)?$/;
const REQUEST_ID = /^[A-Za-z0-9_.:-]{1,100}$/;
const ROUTE = "/v1/proofs/:account";
const SUMMARY_MS = 60_000;

/** The request id every response carries: the client's when well-formed, else a fresh one (app.ts uses it too). */
export function requestIdOf(given: string | undefined): string {
  return given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

/** Plain Node request and response, so it runs ahead of Express as well as inside it (Express's types extend these). */
export type FastProofsHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export function fastProofs({ common, services }: { common: Common; services: Services }): FastProofsHandler {
  const requests = common.metrics.httpRequests.labels("get", ROUTE, "200");
  const duration = common.metrics.httpDuration.labels("get", ROUTE);
  let served = 0;
  let slowestMs = 0;
  let scheduled = false;
  const report = () => {
    scheduled = false;
    if (served === 0) return;
    common.logger.info({ route: ROUTE, method: "GET", status: 200, requests: served, slowestMs }, "requests served");
    served = 0;
    slowestMs = 0;
  };

  // Requests already handed on: a failed proof (say, the database down) falls through once, not once per mount.
  const passedOn = new WeakSet<IncomingMessage>();
  return (req, res, next) => {
    const pass = () => {
      passedOn.add(req);
      next();
    };
    if (req.method !== "GET" || passedOn.has(req)) return next();
    const m = PROOF_PATH.exec(req.url ?? "");
    if (!m) return pass();
    const started = performance.now();
    proofsFor(services.deps, services.distributions, m[1].toLowerCase(), services.proofState).then(
      (body) => {
        const json = JSON.stringify(body);
        res.writeHead(200, {
          "x-request-id": requestIdOf(req.headers["x-request-id"] as string | undefined),
          "content-type": "application/json; charset=utf-8",
          "content-length": Buffer.byteLength(json),
        });
        res.end(json);
        const ms = performance.now() - started;
        duration.observe(ms / 1000);
        requests.inc();
        served++;
        if (ms > slowestMs) slowestMs = ms;
        if (!scheduled) {
          scheduled = true;
          setTimeout(report, SUMMARY_MS).unref();
        }
      },
      // The general stack answers (and logs) failures the way it answers every route's.
      pass,
    );
  };
}
