/**
 * The Express 5 app: request ids and logs → JSON body parsing → per route: authenticate, authorize, validate
 * (zod), call the service → one problem+json error middleware.
 */
import type { RequestListener } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import express, { type Express, type Request, type Response } from "express";
import { pinoHttp } from "pino-http";
import type { Common } from "../common";
import type { PrismaClient } from "../db/client";
import { resolveActor, type Actor } from "./auth/actor";
import { ApiError, forbidden, unauthorized } from "./errors";
import { problemMiddleware, zodFieldErrors } from "./problem";
import type { Access, AnyRoute } from "./route";
import { routeTable } from "./routes";
import { createServices, type Services } from "./services";
import type { TokenAllowList } from "./services/token-allow-list";
import { mountWeb } from "../web/serve";
import { fastProofs, requestIdOf, type FastProofsHandler } from "./fast-proofs";

/**
 * `tokens`: the splitter's token allow-list (splitterTokenAllowList over the chain clients); offers in other
 * tokens are refused. Without it offers are not checked, and a warning says so at start.
 */
export type CreateAppOptions = {
  common: Common;
  db: { prisma: PrismaClient };
  tokens?: TokenAllowList;
  /** GET /v1/proofs/:account ahead of the middleware stack (fast-proofs.ts); default true. False: the general stack. */
  fastProofs?: boolean;
};
export type App = Express & {
  locals: { routes: AnyRoute[]; services: Services; fastProofs?: FastProofsHandler };
};

/**
 * What an HTTP server should run for `app`: the proofs' fast path first, then the app. Reached only as the app's first
 * middleware (how supertest reaches it), the same handler still paid for Express's request set-up (prototype swaps,
 * router, URL parsing) on every proof; ahead of it, bench:scale's p99 at 1,000 req/s fell from 7.4 to 3.0 ms and the
 * rate it sustains from ~5,600 to ≥ 12,000 req/s (fast-proofs.ts).
 */
export function requestListener(app: App): RequestListener {
  const fast = app.locals.fastProofs;
  if (!fast) return app;
  return (req, res) => fast(req, res, () => app(req, res));
}

function authorize(access: Access, actor: Actor): void {
  if (access.kind === "public") return;
  if (access.kind === "apiKey") {
    if (actor.kind !== "apiKey") throw unauthorized("an API key (x-api-key) is required");
    return;
  }
  if (actor.kind !== "session") throw unauthorized("a SIWE session is required");
  if (access.roles && !access.roles.some((r) => actor.roles.includes(r))) {
    throw forbidden(`requires one of the roles: ${access.roles.join(", ")}`);
  }
}

function parse<T>(
  schema:
    | { safeParse(v: unknown): { success: true; data: T } | { success: false; error: import("zod").ZodError } }
    | undefined,
  value: unknown,
  where: string,
): T | undefined {
  if (!schema) return undefined;
  const r = schema.safeParse(value);
  if (!r.success)
    throw new ApiError(400, "INVALID_REQUEST", "Invalid request", {
      detail: `invalid ${where}`,
      errors: zodFieldErrors(r.error, where === "body" ? "" : `/${where}`),
    });
  return r.data;
}

/** Streams a file body; a client that goes away mid-file just ends the stream (nothing to report to it). */
async function sendStream(res: Response, body: Readable, contentType?: string): Promise<void> {
  if (contentType) res.type(contentType);
  try {
    await pipeline(body, res);
  } catch (err) {
    if (!res.headersSent) throw err;
    res.destroy();
  }
}

export function createApp({ common, db, tokens, fastProofs: fast = true }: CreateAppOptions): App {
  const app = express() as App;
  const services = createServices({ common, prisma: db.prisma, tokens });
  if (!tokens) common.logger.warn("no token allow-list given: offers are not checked against the splitter's tokens");
  const routes = routeTable();
  app.locals.routes = routes;
  app.locals.services = services;
  app.disable("x-powered-by");
  app.set("etag", false);

  if (fast) {
    app.locals.fastProofs = fastProofs({ common, services });
    app.use(app.locals.fastProofs);
  }
  app.use((req, res, next) => {
    res.locals.requestId = requestIdOf(req.get("x-request-id"));
    res.setHeader("x-request-id", res.locals.requestId);
    next();
  });
  app.use(
    pinoHttp({
      logger: common.logger,
      genReqId: (_req, res) => String(res.getHeader("x-request-id")),
      // Bodies are never logged: they carry usage events and consent subjects.
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url.split("?")[0],
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  // Usage batches of 10,000 events are ~2–3 MB of JSON. Parsed only for routes that take a body, so a stray
  // body on a GET is ignored rather than a 400/413 that route's documentation never mentions.
  const json = express.json({ limit: "8mb", strict: true, type: ["application/json", "application/*+json"] });
  const noBody: express.RequestHandler = (_req, _res, next) => next();

  for (const route of routes) {
    app[route.method](route.path, route.body ? json : noBody, async (req: Request, res: Response) => {
      const stop = common.metrics.httpDuration.startTimer({ method: route.method, route: route.path });
      res.on("finish", () => {
        stop();
        common.metrics.httpRequests.inc({ method: route.method, route: route.path, status: String(res.statusCode) });
      });
      // Public routes never look at credentials: a stale token must not turn /health into a 401.
      const actor: Actor = route.access.kind === "public" ? { kind: "anonymous" } : await resolveActor(req, db.prisma);
      authorize(route.access, actor);
      // req.is() is null without a body and false for a body of another type (which express.json left unparsed).
      if (
        route.body &&
        req.get("content-length") !== "0" &&
        req.is(["application/json", "application/*+json"]) === false
      ) {
        throw new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "Unsupported media type", {
          detail: "send application/json",
        });
      }
      const reply = await route.handler({
        params: parse(route.params, req.params, "params"),
        query: parse(route.query, req.query, "query") ?? {},
        body: parse(route.body, req.body, "body"),
        actor,
        services,
        prisma: db.prisma,
        common,
        req,
      });
      res.status(reply.status ?? route.response.status);
      if (reply.headers) res.set(reply.headers);
      if (reply.body === undefined) return void res.end();
      if (reply.body instanceof Readable) return sendStream(res, reply.body, reply.contentType);
      if (reply.contentType) return void res.type(reply.contentType).send(reply.body);
      res.json(reply.body);
    });
  }

  mountWeb(app, { common });

  app.use((req, res) => {
    res
      .status(404)
      .type("application/problem+json")
      .send(
        JSON.stringify({
          type: "/problems/not-found",
          title: "Not found",
          status: 404,
          detail: `no route ${req.method} ${req.path}`,
          instance: req.path,
          requestId: res.locals.requestId,
        }),
      );
  });
  app.use(problemMiddleware(common.logger));
  return app;
}
