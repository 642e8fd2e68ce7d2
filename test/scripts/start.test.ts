import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";

const ROOT = path.join(__dirname, "..", "..");

type Started = { child: ChildProcess; output: () => string; exited: Promise<number | null> };

/**
 * Runs package.json's `start` script the way npm does (its command in a shell, node_modules/.bin on the PATH),
 * with `exec` so the exit status is the program's own — npm itself re-raises a SIGINT instead of exiting 0.
 * Resolves once the ready line is printed.
 */
async function start(dataDir: string, ports: { api: number; rpc: number }): Promise<Started> {
  const script = (
    JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }
  ).scripts.start;
  const child = spawn("sh", ["-c", `exec ${script}`], {
    cwd: ROOT,
    env: {
      ...process.env,
      PATH: `${path.join(ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH}`,
      DATA_DIR: dataDir,
      PORT: String(ports.api),
      DEV_CHAIN_PORT: String(ports.rpc),
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, so SIGINT reaches npm, sh and node together, as Ctrl-C does
  });
  let out = "";
  child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const deadline = Date.now() + 90_000;
  while (!out.includes("Ready. Ctrl-C stops.")) {
    if (child.exitCode !== null) throw new Error(`start exited early:\n${out}`);
    if (Date.now() > deadline) throw new Error(`no ready line:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, output: () => out, exited };
}

async function stopWithSigint(s: Started): Promise<{ code: number | null; ms: number }> {
  const t0 = Date.now();
  process.kill(-s.child.pid!, "SIGINT"); // the whole group: what a terminal's Ctrl-C does
  const code = await Promise.race([s.exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 10_000))]);
  if (code === "timeout") {
    process.kill(-s.child.pid!, "SIGKILL");
    throw new Error(`did not exit within 10 s of SIGINT:\n${s.output()}`);
  }
  return { code, ms: Date.now() - t0 };
}

describe("scripts/start (the npm start command as a process)", function () {
  this.timeout(240_000);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-start-"));
  const base = 20_000 + Math.floor(Math.random() * 20_000);
  const ports = { api: base, rpc: base + 1 };
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it("serves the API and the chain, prints addresses and dev keys, and exits 0 within seconds of SIGINT", async () => {
    const s = await start(dataDir, ports);
    try {
      const health = await fetch(`http://127.0.0.1:${ports.api}/health`);
      expect(health.status).to.equal(200);
      const rpc = await fetch(`http://127.0.0.1:${ports.rpc}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      expect(((await rpc.json()) as { result: string }).result).to.equal("0x7a69");
      const config = (await (await fetch(`http://127.0.0.1:${ports.api}/web-config.json`)).json()) as {
        rpcUrl: string;
        splitter: string;
      };
      expect(config.rpcUrl).to.equal(`http://127.0.0.1:${ports.rpc}`);
      const recorded = JSON.parse(fs.readFileSync(path.join(dataDir, "devchain.json"), "utf8")) as { splitter: string };
      expect(config.splitter).to.equal(recorded.splitter.toLowerCase());
      expect(s.output())
        .to.include(recorded.splitter)
        .and.include("DEV ONLY")
        .and.include("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
      expect(s.output()).not.to.include("fresh chain detected");
    } finally {
      const { code, ms } = await stopWithSigint(s);
      expect(code, s.output()).to.equal(0);
      expect(ms).to.be.lessThan(5_000);
    }
  });

  it("on a second start against the same data folder replays the chain: same splitter, database kept", async () => {
    const recorded = JSON.parse(fs.readFileSync(path.join(dataDir, "devchain.json"), "utf8")) as { splitter: string };
    const s = await start(dataDir, ports);
    try {
      expect(s.output()).to.include("dev chain     restored:").and.not.include("fresh chain detected");
      expect(fs.existsSync(path.join(dataDir, "pglite.previous"))).to.equal(false);
      const config = (await (await fetch(`http://127.0.0.1:${ports.api}/web-config.json`)).json()) as {
        splitter: string;
      };
      expect(config.splitter).to.equal(recorded.splitter.toLowerCase());
      expect((await fetch(`http://127.0.0.1:${ports.api}/ready`)).status).to.equal(200);
    } finally {
      expect((await stopWithSigint(s)).code, s.output()).to.equal(0);
    }
  });
});
