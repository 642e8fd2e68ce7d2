import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { privateKeyToAccount } from "viem/accounts";
import { createChainClients, royaltySplitterAbi, testStablecoinAbi } from "../../../offchain/chain";
import { startTributary, DEV_ROLES, type Tributary } from "../../../offchain/main/start";
import { checkRecords, createRecords, type Records } from "../../../scripts/ci/records";
import { runStory } from "../../../scripts/demo/story";

describe("offchain/main/start against a configured chain (RPC_URL + SPLITTER_ADDRESS + key)", function () {
  this.timeout(120_000);
  let dev: Tributary;
  const dirs: string[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-main-"));
    dirs.push(d);
    return d;
  };

  before(async () => {
    // A development stack stands in for "a real chain": its RPC and splitter are given to the second instance.
    dev = await startTributary({
      env: { DATA_DIR: tmp(), PORT: "0", DEV_CHAIN_PORT: "0", LOG_LEVEL: "silent" },
      background: false,
    });
  });
  after(async () => {
    await dev?.stop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  const realEnv = (dataDir: string, splitter: string) => ({
    RPC_URL: dev.rpcUrl,
    SPLITTER_ADDRESS: splitter,
    PRIVATE_KEY: dev.devAccounts![DEV_ROLES.poster].privateKey,
    TREASURY_ADDRESS: dev.devAccounts![DEV_ROLES.treasury].address,
    DATA_DIR: dataDir,
    PORT: "0",
    LOG_LEVEL: "silent",
  });

  it("deploys nothing, signs with the configured key, binds its database to that chain and serves the API", async () => {
    const dataDir = tmp();
    const t = await startTributary({ env: realEnv(dataDir, dev.splitter), background: false });
    try {
      expect(t.devAccounts).to.equal(undefined);
      expect(t.splitter.toLowerCase()).to.equal(dev.splitter.toLowerCase());
      expect(t.clients.walletClient!.account.address).to.equal(dev.devAccounts![DEV_ROLES.poster].address);
      expect((await fetch(`${t.apiUrl}/health`)).status).to.equal(200);
      const binding = await t.db.prisma.chainBinding.findUniqueOrThrow({ where: { id: 1 } });
      expect(binding.splitterAddress).to.equal(dev.splitter.toLowerCase());
      expect(fs.existsSync(path.join(dataDir, "devchain.json"))).to.equal(false);
    } finally {
      await t.stop();
    }
  });

  it("refuses (and does not reset) a database bound to another splitter", async () => {
    const dataDir = tmp();
    const first = await startTributary({ env: realEnv(dataDir, dev.splitter), background: false });
    await first.stop();
    const other = dev.stablecoin!; // has code, but is not the splitter the database was bound to
    let error: unknown;
    await startTributary({ env: realEnv(dataDir, other), background: false }).then(
      (t) => t.stop(),
      (e: unknown) => (error = e),
    );
    expect(String(error)).to.match(/belongs to another chain .*splitter/);
    expect(fs.existsSync(path.join(dataDir, "pglite.previous"))).to.equal(false);
  });
});

describe("offchain/main/start on the development chain across restarts (journal replay)", function () {
  this.timeout(240_000);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-restart-"));
  const env = { DATA_DIR: dataDir, PORT: "0", DEV_CHAIN_PORT: "0", LOG_LEVEL: "silent", DEV_TIMELOCK_SECONDS: "2" };
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it("keeps the chain, the splitter and the database: a license and a usage event made before are still there", async () => {
    const first = await startTributary({ env, background: false });
    let records: Records;
    let head: { number: bigint; hash: string };
    try {
      expect(first.devChain).to.deep.include({ replayedEntries: 0, newChain: "no journal yet", deployed: true });
      records = await createRecords(first.apiUrl, first.chainId, first.stablecoin!);
      // A transaction after the deployment, so the replay covers more than the contracts.
      const buyer = createChainClients({
        rpcUrl: first.rpcUrl,
        account: privateKeyToAccount(first.devAccounts![3].privateKey),
      });
      const hash = await buyer.walletClient!.writeContract({
        address: first.stablecoin!,
        abi: testStablecoinAbi,
        functionName: "mint",
        args: [buyer.walletClient!.account.address, 1000n],
      });
      await buyer.publicClient.waitForTransactionReceipt({ hash });
      const block = await first.clients.publicClient.getBlock();
      head = { number: block.number, hash: block.hash };
    } finally {
      await first.stop();
    }

    const second = await startTributary({ env, background: false });
    try {
      expect(second.devChain!.newChain).to.equal(undefined);
      expect(second.devChain!.deployed).to.equal(false);
      expect(second.devChain!.replayedBlocks).to.equal(Number(head.number));
      expect(second.splitter).to.equal(first.splitter);
      expect(second.databaseReset).to.equal(undefined);
      expect(fs.existsSync(path.join(dataDir, "pglite.previous"))).to.equal(false);
      const replayed = await second.clients.publicClient.getBlock({ blockNumber: head.number });
      expect(replayed.hash).to.equal(head.hash);
      await checkRecords(second.apiUrl, second.chainId, records);
      expect((await fetch(`${second.apiUrl}/ready`)).status).to.equal(200);
    } finally {
      await second.stop();
    }
  });

  it("a journal that does not replay to its recorded blocks is a new chain: set aside, database started fresh", async () => {
    const file = path.join(dataDir, "devchain.journal");
    const lines = fs.readFileSync(file, "utf8").split("\n");
    const last = lines.findLastIndex((l) => l.includes('"h":'));
    lines[last] = lines[last].replace(/"h":"0x[0-9a-f]+"/, `"h":"0x${"00".repeat(32)}"`);
    fs.writeFileSync(file, lines.join("\n"));
    const t = await startTributary({ env, background: false });
    try {
      expect(t.devChain!.newChain).to.match(/DEVCHAIN_REPLAY_DIVERGED|not the recorded chain/);
      expect(t.devChain!.deployed).to.equal(true);
      expect(t.databaseReset).to.match(/genesis block changed/);
      expect(fs.existsSync(`${file}.previous`)).to.equal(true);
      const licenses = await t.db.prisma.license.count();
      expect(licenses).to.equal(0);
    } finally {
      await t.stop();
    }
  });

  it("mines a block once the pending root matures, so it becomes claimable on an idle chain", async () => {
    const t = await startTributary({ env: { ...env, DATA_DIR: ":memory:" }, background: false });
    try {
      const poster = t.clients;
      const before = await poster.publicClient.getBlockNumber();
      expect(await t.devMiner!.runOnce()).to.equal(false); // nothing pending: no block
      expect(await poster.publicClient.getBlockNumber()).to.equal(before);
      // An empty root over nothing deposited is solvent; proposing it starts the 2 s timelock.
      const hash = await poster.walletClient!.writeContract({
        address: t.splitter,
        abi: royaltySplitterAbi,
        functionName: "proposeRoot",
        args: [`0x${"11".repeat(32)}`, `0x${"22".repeat(32)}`, 1, []],
      });
      await poster.publicClient.waitForTransactionReceipt({ hash });
      expect(await t.devMiner!.runOnce()).to.equal(false); // not matured yet
      await new Promise((r) => setTimeout(r, 3_000));
      expect(await t.devMiner!.runOnce()).to.equal(true);
      const [root, epoch] = await poster.publicClient.readContract({
        address: t.splitter,
        abi: royaltySplitterAbi,
        functionName: "claimableRoot",
      });
      expect([root, epoch]).to.deep.equal([`0x${"11".repeat(32)}`, 1]);
      expect(await t.devMiner!.runOnce()).to.equal(false); // matured and mined: nothing more to do
    } finally {
      await t.stop();
    }
  });
});

describe("offchain/main/start answers from the moment the port opens", function () {
  this.timeout(240_000);

  it("every request fired during start-up is answered (200, or 503 problem+json with Retry-After) within 2 s", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-startup-"));
    const answers: { path: string; status: number | "timeout" | "error"; ms: number; problem: boolean }[] = [];
    let started = false;
    let firing: Promise<void> | undefined;
    // Four clients, each from the port's opening until the start resolved and it has had ten answers.
    const fire = async (url: string, client: number) => {
      const paths = ["/health", "/ready", "/v1/epochs", "/openapi.json"];
      for (let i = client; !started || i < client + 10; i++) {
        const p = paths[i % paths.length];
        const t0 = Date.now();
        try {
          const res = await fetch(url + p, { signal: AbortSignal.timeout(2_000) });
          const type = res.headers.get("content-type") ?? "";
          const problem =
            res.status === 503 && type.startsWith("application/problem+json") && res.headers.has("retry-after");
          await res.arrayBuffer();
          answers.push({ path: p, status: res.status, ms: Date.now() - t0, problem });
        } catch (e) {
          const timeout = (e as Error).name === "TimeoutError";
          answers.push({ path: p, status: timeout ? "timeout" : "error", ms: Date.now() - t0, problem: false });
        }
      }
    };
    const t = await startTributary({
      env: { DATA_DIR: dataDir, PORT: "0", DEV_CHAIN_PORT: "0", LOG_LEVEL: "silent" },
      background: false,
      onListening: (url) => {
        firing = Promise.all([0, 1, 2, 3].map((c) => fire(url, c))).then(() => undefined);
      },
    });
    started = true;
    try {
      await firing;
      const unanswered = answers.filter((a) => typeof a.status !== "number" || a.ms > 2_000);
      expect(unanswered, JSON.stringify(unanswered)).to.deep.equal([]);
      const wrong = answers.filter((a) => a.status !== 200 && !(a.status === 503 && a.problem));
      expect(wrong, JSON.stringify(wrong)).to.deep.equal([]);
      expect(answers.length).to.be.greaterThan(0);
      expect(answers.filter((a) => a.path === "/health").every((a) => a.status === 200)).to.equal(true);
      const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
      console.log(
        `      start-up: ${answers.length} requests, ${answers.filter((a) => a.status === 503).length} × 503, ` +
          `latency median ${ms[Math.floor(ms.length / 2)]} ms, max ${ms.at(-1)} ms`,
      );
      expect((await fetch(`${t.apiUrl}/ready`)).status).to.equal(200);
    } finally {
      await t.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("offchain/main/start with WATCH_ROOTS=1 (the dev stack's own root watcher)", function () {
  this.timeout(180_000);
  let t: Tributary | undefined;
  let dataDir: string;
  after(async () => {
    await t?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("runs a watcher with the dev guardian's key that passes the demo's honest root, and vetoes nothing", async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-main-watch-"));
    t = await startTributary({
      env: { DATA_DIR: dataDir, PORT: "0", DEV_CHAIN_PORT: "0", LOG_LEVEL: "silent", WATCH_ROOTS: "1" },
      background: false,
    });
    expect(t.watcher).to.not.equal(undefined);
    await runStory(t);
    const pass = await t.watcher!.runOnce();
    expect(pass.concluded).to.deep.equal([{ epoch: 1, status: "passed", failures: [] }]);
    expect(pass.alerts).to.deep.equal([]);
    expect(t.watcher!.failedAny).to.equal(false);
    const onChain = await t.clients.publicClient.readContract({
      address: t.splitter,
      abi: royaltySplitterAbi,
      functionName: "claimableRoot",
    });
    expect(onChain[1]).to.equal(1); // not vetoed: epoch 1 is the claimable root
  });
});
