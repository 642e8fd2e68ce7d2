/** OpenAPI 3.1, generated from the same route table and zod schemas that validate requests. */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import type { AnyRoute } from "./route";
import { Problem } from "./schemas";

const toOpenApiPath = (p: string) => p.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

/** "post /v1/datasets/:datasetId/shares" → "postDatasetsDatasetIdShares": unique because method + path is. */
export function defaultOperationId(method: string, path: string): string {
  const words = path
    .replace(/^\/v1\//, "/")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return method + words.map((w) => w[0].toUpperCase() + w.slice(1)).join("");
}

/**
 * Every error status an operation can answer, and only those: what its inputs, access and body make possible,
 * plus the ones its handler declares, plus 500 (an unexpected failure, always possible).
 */
export function errorStatuses(r: AnyRoute): Record<number, string> {
  const out: Record<number, string> = {};
  if (r.params || r.query || r.body) out[400] = "The request is malformed: a parameter or body field is invalid";
  if (r.access.kind === "session") out[401] = "No valid session (Authorization: Bearer <token>)";
  if (r.access.kind === "apiKey") out[401] = "No valid API key (x-api-key)";
  if (r.access.kind === "session" && r.access.roles)
    out[403] = `The caller has none of the roles ${r.access.roles.join(", ")}`;
  if (r.body) {
    out[413] = "The body exceeds 8 MB";
    out[415] = "The body is not application/json (or has an unsupported charset or encoding)";
  }
  for (const [status, description] of Object.entries(r.errors ?? {})) out[Number(status)] = description!;
  out[500] = "An unexpected failure; the problem's requestId names it in the logs";
  return out;
}

const TAGS = [
  { name: "system", description: "Liveness, readiness, metrics and this document" },
  { name: "auth", description: "Sign-In with Ethereum (EIP-4361): nonces, sessions" },
  { name: "public", description: "Published epochs, distribution files and Merkle proofs: no credentials needed" },
  { name: "creators", description: "Creators' datasets, contributor shares, consent, offers and earnings" },
  { name: "buyers", description: "Buyers: registration, API keys, offers, licenses and usage reports" },
  { name: "operators", description: "Operators: epoch close and role management" },
  { name: "auditors", description: "The append-only log of privileged actions" },
];

export function buildOpenApi(routes: readonly AnyRoute[]): object {
  const registry = new OpenAPIRegistry();
  registry.registerComponent("securitySchemes", "session", {
    type: "http",
    scheme: "bearer",
    description: "SIWE session token from POST /v1/auth/verify",
  });
  registry.registerComponent("securitySchemes", "apiKey", {
    type: "apiKey",
    in: "header",
    name: "x-api-key",
    description: "A buyer's API key from POST /v1/buyers/me/api-keys",
  });
  const problem = (description: string) => ({
    description,
    content: { "application/problem+json": { schema: Problem } },
  });
  for (const r of routes) {
    const body = r.body
      ? {
          body: {
            required: !r.body.safeParse(undefined).success,
            content: { "application/json": { schema: r.body } },
          },
        }
      : {};
    const security =
      r.access.kind === "session" ? [{ session: [] }] : r.access.kind === "apiKey" ? [{ apiKey: [] }] : [];
    const ok = r.response.schema
      ? {
          description: r.response.description,
          content: { [r.response.contentType ?? "application/json"]: { schema: r.response.schema } },
        }
      : r.response.contentType
        ? {
            description: r.response.description,
            content: { [r.response.contentType]: { schema: { type: "string" as const } } },
          }
        : { description: r.response.description };
    const roles = r.access.kind === "session" && r.access.roles ? ` Roles: ${r.access.roles.join(", ")}.` : "";
    const errors = Object.fromEntries(Object.entries(errorStatuses(r)).map(([s, d]) => [s, problem(d)]));
    registry.registerPath({
      method: r.method,
      path: toOpenApiPath(r.path),
      operationId: r.operationId ?? defaultOperationId(r.method, r.path),
      summary: r.summary,
      tags: [r.tag],
      security,
      description: `${r.description ?? r.summary}${r.description?.endsWith(".") ? "" : "."}${roles}`,
      request: {
        ...(r.params ? { params: r.params as never } : {}),
        ...(r.query ? { query: r.query as never } : {}),
        ...body,
      },
      responses: { [r.response.status]: ok, ...errors },
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "Tributary API",
      version: "0.1.0",
      description:
        "Royalty settlement for licensed AI-training data. Amounts are decimal strings of integers in base units " +
        "of the token named beside them; every error is an RFC 9457 problem document (application/problem+json). " +
        "Limits before any operation: the request line and headers together at most 16 KB (a longer query string " +
        "or header is answered 431), a request that is not valid HTTP/1.1 is answered 400, both as problem " +
        "documents with `Connection: close`; request bodies at most 8 MB (413).",
      license: { name: "MIT", identifier: "MIT" },
    },
    servers: [{ url: "/" }],
    tags: TAGS,
  });
}

/** A self-contained docs page (no CDN): renders /openapi.json in the browser. */
export const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tributary API</title>
<style>body{font:14px system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em}
h2{border-bottom:1px solid #ddd}code{background:#f4f4f4;padding:1px 4px}.m{display:inline-block;width:4em;font-weight:bold}
details{margin:.4em 0}pre{background:#f8f8f8;padding:.6em;overflow:auto}</style></head>
<body><h1>Tributary API</h1><p>Generated from <a href="/openapi.json">/openapi.json</a>.</p><div id="api"></div>
<script>
fetch('/openapi.json').then(r=>r.json()).then(doc=>{
  const root=document.getElementById('api');const byTag={};
  for(const [p,ops] of Object.entries(doc.paths))for(const [m,op] of Object.entries(ops))(byTag[op.tags[0]]??=[]).push([m,p,op]);
  for(const [tag,list] of Object.entries(byTag)){const h=document.createElement('h2');h.textContent=tag;root.append(h);
    for(const [m,p,op] of list){const d=document.createElement('details');const s=document.createElement('summary');
      s.innerHTML='<span class="m"></span><code></code> ';s.children[0].textContent=m.toUpperCase();s.children[1].textContent=p;
      s.append(op.summary||'');d.append(s);const pre=document.createElement('pre');
      pre.textContent=JSON.stringify({description:op.description,security:op.security,request:op.requestBody||op.parameters,responses:op.responses},null,2);
      d.append(pre);root.append(d);}}
});
</script></body></html>`;
