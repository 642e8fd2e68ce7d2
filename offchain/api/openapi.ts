/** OpenAPI 3.1, generated from the same route table and zod schemas that validate requests. */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import type { AnyRoute } from "./route";
import { Problem } from "./schemas";

const toOpenApiPath = (p: string) => p.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

export function buildOpenApi(routes: readonly AnyRoute[]): object {
  const registry = new OpenAPIRegistry();
  registry.registerComponent("securitySchemes", "session", {
    type: "http",
    scheme: "bearer",
    description: "SIWE session token from POST /v1/auth/verify",
  });
  registry.registerComponent("securitySchemes", "apiKey", { type: "apiKey", in: "header", name: "x-api-key" });
  const problem = (description: string) => ({
    description,
    content: { "application/problem+json": { schema: Problem } },
  });
  for (const r of routes) {
    const body = r.body
      ? {
          body: { required: !r.body.safeParse(undefined).success, content: { "application/json": { schema: r.body } } },
        }
      : {};
    const security =
      r.access.kind === "session" ? [{ session: [] }] : r.access.kind === "apiKey" ? [{ apiKey: [] }] : [];
    const ok = r.response.schema
      ? {
          description: r.response.description,
          content: { [r.response.contentType ?? "application/json"]: { schema: r.response.schema } },
        }
      : { description: r.response.description };
    registry.registerPath({
      method: r.method,
      path: toOpenApiPath(r.path),
      summary: r.summary,
      tags: [r.tag],
      security,
      description: r.access.kind === "session" && r.access.roles ? `Roles: ${r.access.roles.join(", ")}` : undefined,
      request: {
        ...(r.params ? { params: r.params as never } : {}),
        ...(r.query ? { query: r.query as never } : {}),
        ...body,
      },
      responses: {
        [r.response.status]: ok,
        400: problem("Invalid request"),
        401: problem("Not authenticated"),
        403: problem("Role not allowed"),
        404: problem("Not found"),
        409: problem("Conflict"),
        422: problem("Valid but unprocessable"),
      },
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: { title: "Tributary API", version: "0.1.0", description: "Royalty settlement for licensed AI-training data" },
    servers: [{ url: "/" }],
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
