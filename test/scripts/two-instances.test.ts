import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { parseUnits, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createChainClients, type ChainClients } from "../../offchain/chain/clients";
import { deployDevStack, type DevStack } from "../../offchain/chain/deploy";
import { devAccounts, startDevChain, type DevChain } from "../../offchain/chain/devchain";
import { royaltySplitterAbi, testStablecoinAbi } from "../../offchain/chain/abi";
import { openTestDatabase, type TestDb } from "../offchain/helpers/database";
import { createLicense, PG_SERVER, postgresReachable, rpc } from "../offchain/helpers/chain";

const ROOT = path.join(__dirname, "..", "..");
const TIMELOCK = 60;

type Started = { name: string; child: ChildProcess; output: () => string; exited: Promise<number | null> };

/** Spawns package.json's `start` script as npm would (see start.test.ts), in real-chain mode; resolves on the ready line. */
async function start(name: string, env: Record<string, string>): Promise<Started> {
  const script = (
    JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }
  ).scripts.start;
  const child = spawn("sh", ["-c", `exec ${script}`], {
    cwd: ROOT,
    env: {
      ...process.env,
      PATH: `${path.join(ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH}`,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { name, child, output: () => out, exited };
}

async function ready(s: Started): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!s.output().includes("Ready. Ctrl-C stops.")) {
    if (s.child.exitCode !== null) throw new Error(`${s.name} exited early:\n${s.output()}`);
    if (Date.now() > deadline) throw new Error(`${s.name}: no ready line:\n${s.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stopWithSigint(s: Started): Promise<number | null> {
  if (s.child.exitCode !== null) return s.child.exitCode;
  process.kill(-s.child.pid!, "SIGINT");
  const code = await Promise.race([s.exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 10_000))]);
  if (code === "timeout") {
    process.kill(-s.child.pid!, "SIGKILL");
    throw new Error(`${s.name} did not exit within 10 s of SIGINT:\n${s.output()}`);
  }
  return code;
}

/** Log lines (pino JSON) with the given message. */
function logged(s: Started, msg: string): { epoch?: number }[] {
  return s
    .output()
    .split("\n")
    .filter((l) => l.startsWith("{") && l.includes(`"${msg}"`))
    .map((l) => JSON.parse(l) as { msg: string; epoch?: number })
    .filter((l) => l.msg === msg);
}

describe("scripts/start: two service processes against one PostgreSQL database", function () {
  this.timeout(120_000);
  let chain: DevChain;
  let stack: DevStack;
  let db: TestDb;
  let poster: ChainClients;
  let buyer: ChainClients;
  const started: Started[] = [];

  before(async function () {
    if (!(await postgresReachable())) this.skip();
    chain = await startDevChain({ port: 0 });
    const [admin, posterKey, guardian, buyerKey] = devAccounts(4);
    poster = createChainClients({
      rpcUrl: chain.url,
      account: privateKeyToAccount(posterKey.privateKey),
      pollingIntervalMs: 50,
    });
    buyer = createChainClients({
      rpcUrl: chain.url,
      account: privateKeyToAccount(buyerKey.privateKey),
      pollingIntervalMs: 50,
    });
    stack = await deployDevStack({
      clients: createChainClients({
        rpcUrl: chain.url,
        account: privateKeyToAccount(admin.privateKey),
        pollingIntervalMs: 50,
      }),
      poster: posterKey.address,
      guardian: guardian.address,
      timelockSeconds: TIMELOCK,
    });
    db = await openTestDatabase("postgres"); // fresh, migrated; dropped in after()
  });
  after(async () => {
    for (const s of started) if (s.child.exitCode === null) process.kill(-s.child.pid!, "SIGKILL");
    await db?.close();
    await chain?.close();
  });

  /** createLicense's rows plus what a close needs to settle it: one dataset, its contributor share, consent. */
  async function licenseWithDataset(): Promise<Hex> {
    const id = await createLicense(db, stack.stablecoin);
    const offer = (
      await db.prisma.license.findUniqueOrThrow({ where: { id }, include: { offer: { include: { creator: true } } } })
    ).offer;
    const hex32 = () => `0x${crypto.randomBytes(32).toString("hex")}`;
    const dataset = await db.prisma.dataset.create({ data: { id: hex32(), ownerId: offer.creatorId, name: "d" } });
    await db.prisma.contributorShare.create({
      data: { datasetId: dataset.id, account: offer.creator.address, bps: 10_000 },
    });
    await db.prisma.consentRecord.create({
      data: {
        datasetId: dataset.id,
        subjectHash: hex32(),
        salt: hex32(),
        scope: "training",
        evidenceHash: hex32(),
        grantedAt: new Date(0),
        receiptHash: hex32(),
      },
    });
    await db.prisma.offerDataset.create({ data: { offerId: offer.id, datasetId: dataset.id, weightBps: 10_000 } });
    await db.prisma.licenseDataset.create({ data: { licenseId: id, datasetId: dataset.id, weightBps: 10_000 } });
    return id;
  }

  async function deposit(licenseId: Hex, whole: bigint): Promise<void> {
    const w = buyer.walletClient!;
    const value = parseUnits(whole.toString(), 18);
    for (const hash of [
      await w.writeContract({
        address: stack.stablecoin,
        abi: testStablecoinAbi,
        functionName: "mint",
        args: [w.account.address, value],
      }),
      await w.writeContract({
        address: stack.stablecoin,
        abi: testStablecoinAbi,
        functionName: "approve",
        args: [stack.splitter, value],
      }),
      await w.writeContract({
        address: stack.splitter,
        abi: royaltySplitterAbi,
        functionName: "deposit",
        args: [licenseId, stack.stablecoin, value],
      }),
    ]) {
      expect((await buyer.publicClient.waitForTransactionReceipt({ hash })).status).to.equal("success");
    }
  }

  async function proposals(): Promise<{ epoch: number }[]> {
    const logs = await poster.publicClient.getContractEvents({
      address: stack.splitter,
      abi: royaltySplitterAbi,
      eventName: "RootProposed",
      fromBlock: stack.deployBlock,
      strict: true,
    });
    return logs.map((l) => ({ epoch: Number(l.args.epoch) }));
  }

  async function waitForRoots(n: number, alive: Started[]): Promise<void> {
    const deadline = Date.now() + 30_000;
    while ((await proposals()).length < n) {
      for (const s of alive) if (s.child.exitCode !== null) throw new Error(`${s.name} died:\n${s.output()}`);
      if (Date.now() > deadline)
        throw new Error(
          `only ${(await proposals()).length} of ${n} roots on chain:\n${alive.map((s) => s.output()).join("\n")}`,
        );
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it("publishes exactly one root per epoch, from one instance at a time, and both exit 0 on SIGINT", async () => {
    const nonceBefore = await poster.publicClient.getTransactionCount({
      address: poster.walletClient!.account.address,
    });
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    const shared = {
      RPC_URL: chain.url,
      SPLITTER_ADDRESS: stack.splitter,
      SPLITTER_START_BLOCK: stack.deployBlock.toString(),
      PRIVATE_KEY: devAccounts(2)[1].privateKey,
      DATABASE_URL: `${PG_SERVER}/${db.name}`,
      CONFIRMATIONS: "1",
      REORG_DEPTH: "1",
      CHAIN_POLL_MS: "200",
      PUBLISH_INTERVAL_MS: "500",
      LOG_LEVEL: "info",
    };
    const a = await start("A", {
      ...shared,
      PORT: String(base),
      DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "tributary-2a-")),
    });
    started.push(a);
    // Started together, as replicas of a deployment would be: both open (and migrate) the same database at once.
    const b = await start("B", {
      ...shared,
      PORT: String(base + 1),
      DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "tributary-2b-")),
    });
    started.push(b);
    await Promise.all([ready(a), ready(b)]);
    expect((await fetch(`http://127.0.0.1:${base}/health`)).status).to.equal(200);
    expect((await fetch(`http://127.0.0.1:${base + 1}/health`)).status).to.equal(200);

    // Epoch 1: one on-chain deposit for a license both instances see in the shared database.
    const license = await licenseWithDataset();
    await deposit(license, 1000n);
    await waitForRoots(1, [a, b]);
    // The splitter takes no new proposal while a root matures: let it mature, then epoch 2's deposit.
    await rpc("evm_increaseTime", [TIMELOCK + 1]);
    await rpc("hardhat_mine", ["0x1"]);
    await deposit(license, 500n);
    await waitForRoots(2, [a, b]);
    // A few more scheduler passes on both: neither may post anything further.
    await new Promise((r) => setTimeout(r, 2_000));

    const roots = await proposals();
    expect(roots.map((r) => r.epoch)).to.deep.equal([1, 2]); // strictly increasing, none repeated
    const nonceAfter = await poster.publicClient.getTransactionCount({ address: poster.walletClient!.account.address });
    expect(nonceAfter - nonceBefore).to.equal(roots.length);
    const pubs = await db.prisma.epochPublication.findMany({ orderBy: { epochId: "asc" }, select: { epochId: true } });
    expect(pubs.map((p) => p.epochId)).to.deep.equal([1, 2]);

    // Who did the work, per the logs: every epoch closed once and submitted once, across both processes.
    const closedBy = [a, b].flatMap((s) =>
      logged(s, "epoch closed by the scheduler").map((l) => ({ s: s.name, epoch: l.epoch })),
    );
    const submittedBy = [a, b].flatMap((s) => logged(s, "root submitted").map((l) => ({ s: s.name, epoch: l.epoch })));
    expect(closedBy.map((x) => x.epoch).sort(), JSON.stringify(closedBy)).to.deep.equal([1, 2]);
    expect(submittedBy.map((x) => x.epoch).sort(), JSON.stringify(submittedBy)).to.deep.equal([1, 2]);
    for (const s of [a, b])
      expect(logged(s, "epoch already on chain; adopting it instead of posting again"), s.output()).to.deep.equal([]);

    // Both alive to the end, then a clean exit.
    expect(a.child.exitCode, a.output()).to.equal(null);
    expect(b.child.exitCode, b.output()).to.equal(null);
    const codes = await Promise.all([stopWithSigint(a), stopWithSigint(b)]);
    expect(codes, `${a.output()}\n${b.output()}`).to.deep.equal([0, 0]);
  });
});
