/** Writes the API's OpenAPI document (the same one /openapi.json serves) to a file, for `npm run api:lint`. */
import fs from "node:fs";
import path from "node:path";
import { buildOpenApi } from "../../offchain/api/openapi";
import { routeTable } from "../../offchain/api/routes";

const out = process.argv[2] ?? "cache/openapi.json";
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${JSON.stringify(buildOpenApi(routeTable()), null, 2)}\n`);
console.log(`wrote ${out}`);
