/**
 * Checks responses against /openapi.json: every 2xx JSON body and every problem body an operation answers must
 * validate (ajv, JSON Schema 2020-12) against the schema the document gives for that operation and status, and
 * the status itself must be one the document lists. Installed on test apps by `checkResponses(app)`; what fails
 * is collected and reported by a root `afterEach` hook, so any API test that provokes a response the document
 * does not describe fails.
 */
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import type { Express, Response } from "express";
import { buildOpenApi } from "../../../offchain/api/openapi";
import type { AnyRoute } from "../../../offchain/api/route";

type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
};

export type Violation = { operation: string; status: number; message: string };

const toOpenApiPath = (p: string) => p.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, "~0").replace(/\//g, "~1")).join("/");

/** A checker for one document: `check(method, routePath, status, contentType, body)` → what is wrong, if anything. */
export function responseChecker(routes: readonly AnyRoute[]) {
  const doc = buildOpenApi(routes) as Doc;
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addSchema(doc as object, "openapi");
  const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
  return function check(method: string, routePath: string | undefined, status: number, type: string, body: unknown) {
    const json = /^application\/(problem\+)?json/.test(type);
    const op = routePath ? doc.paths[toOpenApiPath(routePath)]?.[method.toLowerCase()] : undefined;
    if (!op) {
      // Not an operation (unknown path, web page): only a problem body has a schema to meet.
      if (!type.startsWith("application/problem+json")) return undefined;
      return validate("#/components/schemas/Problem", body);
    }
    const response = op.responses[String(status)];
    if (!response) return `status ${status} is not documented`;
    if (!json) return undefined;
    const mediaType = type.startsWith("application/problem+json") ? "application/problem+json" : "application/json";
    if (!response.content?.[mediaType]) return `${mediaType} is not documented for status ${status}`;
    return validate(
      `#/${pointer("paths", toOpenApiPath(routePath!), method.toLowerCase(), "responses", String(status), "content", mediaType, "schema")}`,
      body,
    );
  };
  function validate(ref: string, body: unknown): string | undefined {
    let v = compiled.get(ref);
    if (!v) {
      v = ajv.compile({ $ref: `openapi${ref}` });
      compiled.set(ref, v);
    }
    if (v(body)) return undefined;
    return ajv.errorsText(v.errors, { dataVar: "body" });
  }
}

const violations: Violation[] = [];
/** Responses checked so far, per status: shows the check ran (and on how much). */
export const checkedResponses = new Map<number, number>();

/** Wraps the app's `res.send` so every response body is checked as it leaves. Returns the app. */
export function checkResponses<T extends Express>(app: T, routes: readonly AnyRoute[]): T {
  const check = responseChecker(routes);
  const response = app.response as Response;
  const send = response.send;
  response.send = function (this: Response, body?: unknown) {
    const status = this.statusCode;
    const type = String(this.getHeader("content-type") ?? "");
    const operation = `${this.req.method} ${this.req.route?.path ?? this.req.path}`;
    let parsed: unknown = body;
    if (/^application\/(problem\+)?json/.test(type) && (typeof body === "string" || Buffer.isBuffer(body))) {
      try {
        parsed = JSON.parse(String(body));
      } catch {
        parsed = undefined;
      }
    }
    // res.send(object) calls res.json(), which calls send again with the serialized string: check that call.
    const serialized = body === undefined || typeof body === "string" || Buffer.isBuffer(body);
    const marked = this as Response & { checked?: boolean };
    if (serialized && !marked.checked && (status < 300 || type.includes("problem+json"))) {
      marked.checked = true;
      checkedResponses.set(status, (checkedResponses.get(status) ?? 0) + 1);
      const message = check(this.req.method, this.req.route?.path, status, type, parsed);
      if (message) violations.push({ operation, status, message });
    }
    return send.call(this, body as never);
  } as Response["send"];
  return app;
}

/** Takes the violations recorded since the last call. */
export function takeViolations(): Violation[] {
  return violations.splice(0, violations.length);
}

afterEach(function () {
  const found = takeViolations();
  if (found.length) {
    throw new Error(
      `responses that /openapi.json does not describe:\n${found
        .slice(0, 20)
        .map((v) => `  ${v.operation} → ${v.status}: ${v.message}`)
        .join("\n")}`,
    );
  }
});
