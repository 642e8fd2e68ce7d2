import { defineRoute, type AnyRoute } from "../route";
import { buildOpenApi, DOCS_HTML } from "../openapi";
import { ApiError } from "../errors";
import { z } from "../schemas";

/** Health, readiness, metrics and docs. `routes` is the full table so /openapi.json documents every route. */
export function systemRoutes(routes: () => readonly AnyRoute[]): AnyRoute[] {
  let openapi: object | undefined;
  return [
    defineRoute({
      method: "get",
      path: "/health",
      summary: "Liveness: the process answers",
      tag: "system",
      access: { kind: "public" },
      response: { status: 200, schema: z.object({ status: z.literal("ok") }), description: "Alive" },
      async handler() {
        return { body: { status: "ok" } };
      },
    }),
    defineRoute({
      method: "get",
      path: "/ready",
      summary: "Readiness: the database answers",
      tag: "system",
      access: { kind: "public" },
      response: { status: 200, schema: z.object({ status: z.literal("ready") }), description: "Ready" },
      async handler({ prisma }) {
        try {
          await prisma.$queryRaw`SELECT 1`;
        } catch (cause) {
          throw new ApiError(503, "NOT_READY", "Service unavailable", { detail: "database unreachable", cause });
        }
        return { body: { status: "ready" } };
      },
    }),
    defineRoute({
      method: "get",
      path: "/metrics",
      summary: "Prometheus metrics",
      tag: "system",
      access: { kind: "public" },
      response: { status: 200, contentType: "text/plain", description: "Prometheus exposition format" },
      async handler({ common }) {
        return { body: await common.metrics.registry.metrics(), contentType: common.metrics.registry.contentType };
      },
    }),
    defineRoute({
      method: "get",
      path: "/openapi.json",
      summary: "This API's OpenAPI 3.1 document",
      tag: "system",
      access: { kind: "public" },
      response: { status: 200, description: "OpenAPI document" },
      async handler() {
        openapi ??= buildOpenApi(routes());
        return { body: openapi };
      },
    }),
    defineRoute({
      method: "get",
      path: "/docs",
      summary: "Human-readable API docs (served locally)",
      tag: "system",
      access: { kind: "public" },
      response: { status: 200, contentType: "text/html", description: "Docs page" },
      async handler() {
        return { body: DOCS_HTML, contentType: "text/html; charset=utf-8" };
      },
    }),
  ];
}
