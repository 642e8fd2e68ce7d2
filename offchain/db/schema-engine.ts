/**
 * Loads Prisma's schema engine compiled to WebAssembly. The stock CLI needs a native engine from Prisma's CDN,
 * which is unreachable on our machines; the Wasm build does the same work through a driver adapter.
 */
import fs from "node:fs";
import path from "node:path";
import * as glue from "@prisma/schema-engine-wasm/schema_engine_bg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";

export type SchemaEngine = glue.SchemaEngine;

let initialised = false;

function initWasm(): void {
  if (initialised) return;
  const dir = path.dirname(require.resolve("@prisma/schema-engine-wasm/schema_engine_bg"));
  const bytes = fs.readFileSync(path.join(dir, "schema_engine_bg.wasm"));
  const imports: Record<string, unknown> = { ...glue };
  // The engine arms timers it never clears; unref them or every run waits ~10 s before exiting.
  for (const [name, fn] of Object.entries(glue)) {
    if (name.startsWith("__wbg_setTimeout_") && typeof fn === "function") {
      imports[name] = (...args: unknown[]) => {
        const t = (fn as (...a: unknown[]) => unknown)(...args);
        if (t && typeof (t as NodeJS.Timeout).unref === "function") (t as NodeJS.Timeout).unref();
        return t;
      };
    }
  }
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    "./schema_engine_bg.js": imports as WebAssembly.ModuleImports,
  });
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports as { __wbindgen_start(): void }).__wbindgen_start();
  initialised = true;
}

/** Opens a schema engine bound to a database through a migration-aware driver adapter factory. */
export async function openSchemaEngine(adapterFactory: SqlMigrationAwareDriverAdapterFactory): Promise<SchemaEngine> {
  initWasm();
  const log = (_message: string) => undefined;
  // `datamodels: []` crashes the engine; undefined means "no initial schema".
  return glue.SchemaEngine.new({ datamodels: undefined }, log, bindMigrationAwareSqlAdapterFactory(adapterFactory));
}
