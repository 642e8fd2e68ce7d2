/**
 * Bundles the three pages (creator, auditor, buyer) with esbuild into offchain/web/dist/ and prints each
 * file's size. Runs from `postinstall` and `npm run web:build`; dist/ is never committed.
 *
 * The pages import the Merkle module's browser entry; its Node-only helpers import `node:fs`/`node:events`,
 * mapped here to a stub, and `Buffer` comes from the `buffer` package.
 */
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { build, type Plugin } from "esbuild";

const WEB = __dirname;
export const DEFAULT_DIST = path.join(WEB, "dist");
export const PAGES = ["creator", "auditor", "buyer"] as const;

const nodeBuiltins: Plugin = {
  name: "node-builtins-stub",
  setup(b) {
    b.onResolve({ filter: /^node:(fs|events|stream|os|worker_threads)$/ }, () => ({
      path: path.join(WEB, "shims", "node-builtins.ts"),
    }));
  },
};

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** Builds every page; returns the written files with their sizes (bytes, gzip bytes). */
export async function buildWeb(
  opts: { minify?: boolean; quiet?: boolean; outDir?: string } = {},
): Promise<{ file: string; bytes: number; gzip: number }[]> {
  const DIST = opts.outDir ?? DEFAULT_DIST;
  fs.rmSync(DIST, { recursive: true, force: true });
  fs.mkdirSync(DIST, { recursive: true });
  await build({
    entryPoints: Object.fromEntries(PAGES.map((p) => [p, path.join(WEB, "src", `${p}.ts`)])),
    outdir: DIST,
    bundle: true,
    format: "esm",
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    platform: "browser",
    target: ["es2022"],
    minify: opts.minify ?? true,
    sourcemap: false,
    legalComments: "none",
    inject: [path.join(WEB, "shims", "buffer.ts")],
    define: { global: "globalThis" },
    plugins: [nodeBuiltins],
    logLevel: "warning",
  });
  for (const f of fs.readdirSync(path.join(WEB, "pages")))
    fs.copyFileSync(path.join(WEB, "pages", f), path.join(DIST, f));

  const out: { file: string; bytes: number; gzip: number }[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else {
        const data = fs.readFileSync(full);
        out.push({ file: path.relative(DIST, full), bytes: data.length, gzip: zlib.gzipSync(data).length });
      }
    }
  };
  walk(DIST);
  out.sort((a, b) => a.file.localeCompare(b.file));
  if (!opts.quiet) {
    console.log(`web: built ${PAGES.length} pages into ${path.relative(process.cwd(), DIST) || DIST}`);
    for (const f of out) console.log(`  ${f.file.padEnd(40)} ${kib(f.bytes).padStart(10)}  (gzip ${kib(f.gzip)})`);
    const total = out.reduce((s, f) => s + f.bytes, 0);
    const gz = out.reduce((s, f) => s + f.gzip, 0);
    console.log(`  ${"total".padEnd(40)} ${kib(total).padStart(10)}  (gzip ${kib(gz)})`);
  }
  return out;
}

if (require.main === module) {
  buildWeb().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
