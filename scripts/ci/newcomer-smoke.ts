/**
 * The newcomer's first five minutes, as CI runs them (.ci/run): a clean clone of the committed HEAD, `npm ci`,
 * `npm start` on free ports with no other step; /health, /ready, /, /creator, /auditor, /buyer and /docs must all
 * answer 200 within 120 s of the launch; a license and a usage event are made through the API; SIGINT must end
 * the process with exit status 0; a second start must come back with the same splitter, the same records and
 * /ready 200. Prints each step with its time; exits 1 on the first failure.
 *
 * Harness knobs (not service configuration):
 * - SMOKE_PREBUILD=1  run `npx hardhat compile && npm run web:build` in the clone after `npm ci` (for a branch
 *   whose install does not build them yet; CI does not set it: install must do it).
 * - SMOKE_KEEP=1      keep the temporary clone for inspection.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { checkRecords, createRecords, type Records } from "./records";

const ROOT = path.join(__dirname, "..", "..");
const WITHIN_MS = 120_000;
const PAGES = ["/health", "/ready", "/", "/creator", "/auditor", "/buyer", "/docs"];
const t0 = Date.now();
const say = (line: string) => console.log(`[smoke +${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

type Started = { child: ChildProcess; output: () => string; exited: Promise<number | null>; launchedAt: number };

/** package.json's start script as npm runs it, with `exec` so the exit status is the program's own. */
function start(dir: string, env: NodeJS.ProcessEnv): Started {
  const script = (JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { scripts: { start: string } })
    .scripts.start;
  const child = spawn("sh", ["-c", `exec ${script}`], {
    cwd: dir,
    env: { ...env, PATH: `${path.join(dir, "node_modules", ".bin")}${path.delimiter}${env.PATH}` },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group: SIGINT reaches it as a terminal's Ctrl-C does
  });
  let out = "";
  const append = (b: Buffer) => {
    out += b.toString();
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => out, exited, launchedAt: Date.now() };
}

async function status(url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/** Polls until every page answers 200; fails after WITHIN_MS from the launch. Returns the time it took. */
async function waitForPages(s: Started, api: string): Promise<number> {
  const pending = new Set(PAGES);
  while (pending.size) {
    if (s.child.exitCode !== null) throw new Error(`npm start exited with ${s.child.exitCode}:\n${s.output()}`);
    if (Date.now() - s.launchedAt > WITHIN_MS) {
      throw new Error(`not 200 within ${WITHIN_MS / 1000} s: ${[...pending].join(", ")}\n${s.output()}`);
    }
    for (const p of [...pending]) if ((await status(api + p)) === 200) pending.delete(p);
    if (pending.size) await new Promise((r) => setTimeout(r, 500));
  }
  return Date.now() - s.launchedAt;
}

async function sigint(s: Started): Promise<void> {
  process.kill(-(s.child.pid as number), "SIGINT");
  const code = await Promise.race([s.exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 20_000))]);
  if (code === "timeout") {
    process.kill(-(s.child.pid as number), "SIGKILL");
    throw new Error(`no exit within 20 s of SIGINT:\n${s.output()}`);
  }
  if (code !== 0) throw new Error(`exit status ${code} after SIGINT (expected 0):\n${s.output()}`);
}

async function webConfig(api: string): Promise<{ chainId: number; splitter: string }> {
  return (await (await fetch(`${api}/web-config.json`)).json()) as { chainId: number; splitter: string };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-newcomer-"));
  let running: Started | undefined;
  try {
    say(
      `git clone ${ROOT} (HEAD ${execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT }).toString().trim()})`,
    );
    execFileSync("git", ["clone", "--quiet", ROOT, dir], { stdio: "inherit" });
    say("npm ci");
    execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: dir, stdio: "inherit" });
    if (process.env.SMOKE_PREBUILD === "1") {
      say("SMOKE_PREBUILD=1: npx hardhat compile && npm run web:build (not a newcomer's step)");
      execFileSync("sh", ["-c", "npx hardhat compile --quiet && npm run web:build"], { cwd: dir, stdio: "inherit" });
    }
    const [apiPort, rpcPort] = [await freePort(), await freePort()];
    const api = `http://127.0.0.1:${apiPort}`;
    // Only the ports: everything else is the default a newcomer gets.
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(apiPort),
      DEV_CHAIN_PORT: String(rpcPort),
    };

    say(`npm start (API ${apiPort}, chain ${rpcPort})`);
    running = start(dir, env);
    say(
      `all of ${PAGES.join(" ")} answered 200, ${((await waitForPages(running, api)) / 1000).toFixed(1)} s after launch`,
    );
    const first = await webConfig(api);
    const deployment = JSON.parse(fs.readFileSync(path.join(dir, ".data", "devchain.json"), "utf8")) as {
      stablecoin: string;
    };
    const records: Records = await createRecords(api, first.chainId, deployment.stablecoin);
    say(`created license ${records.licenseId} and a usage event; splitter ${first.splitter}`);
    await sigint(running);
    running = undefined;
    say("SIGINT: exit status 0");

    say("npm start again");
    running = start(dir, env);
    say(`all pages 200 again, ${((await waitForPages(running, api)) / 1000).toFixed(1)} s after launch`);
    const second = await webConfig(api);
    if (second.splitter !== first.splitter) throw new Error(`splitter ${first.splitter} → ${second.splitter}`);
    await checkRecords(api, second.chainId, records);
    if ((await status(`${api}/ready`)) !== 200) throw new Error("/ready is not 200 after the restart");
    if (fs.existsSync(path.join(dir, ".data", "pglite.previous"))) throw new Error("the database was moved aside");
    say("same splitter, the license and the usage event still stored, /ready 200");
    await sigint(running);
    running = undefined;
    say("newcomer smoke test passed");
  } catch (err) {
    if (running)
      console.error(`[smoke] npm start output (last 60 lines):\n${running.output().split("\n").slice(-60).join("\n")}`);
    throw err;
  } finally {
    if (running) process.kill(-(running.child.pid as number), "SIGKILL");
    if (process.env.SMOKE_KEEP === "1") say(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`[smoke] FAILED: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
