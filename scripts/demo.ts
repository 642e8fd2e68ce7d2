/**
 * `npm run demo`: starts the system in-process on the development chain (a throwaway data folder, free ports),
 * runs the story (scripts/demo/story.ts), prints it, and exits non-zero if any check fails.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadSettings } from "../offchain/config";
import { startTributary } from "../offchain/main/start";
import { runStory } from "./demo/story";

async function main(): Promise<number> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-demo-"));
  const t = await startTributary({
    settings: loadSettings(undefined, {
      defaults: { LOG_LEVEL: "error", PLATFORM_FEE_BPS: "250" },
      fixed: { DATA_DIR: dataDir, PORT: "0", DEV_CHAIN_PORT: "0" },
    }),
    background: false, // the story triggers each pass itself, so the printout follows the money in order
  });
  console.log(`Tributary demo — API ${t.apiUrl}, chain ${t.rpcUrl}, splitter ${t.splitter}, TUSD ${t.stablecoin}\n`);
  try {
    const result = await runStory(t, (line) => console.log(line));
    const failed = result.checks.filter((c) => !c.ok);
    console.log(failed.length ? `\n${failed.length} check(s) FAILED` : `\nAll ${result.checks.length} checks passed.`);
    return failed.length ? 1 : 0;
  } finally {
    await t.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
