import { expect } from "chai";
import { parseUnits } from "viem";
import { createScheduler } from "../../../offchain/chain/scheduler";
import { createAdvisoryLock } from "../../../offchain/chain/advisory-lock";
import { createRootPublisher, type RootPublisher } from "../../../offchain/chain/root-publisher";
import { royaltySplitterAbi } from "../../../offchain/chain/abi";
import { silentLogger } from "../../../offchain/chain/common";
import type { DevStack } from "../../../offchain/chain/deploy";
import { openDatabase, type Db } from "../../../offchain/db/client";
import { openTestDatabase, type TestDb } from "../helpers/database";
import {
  clientsFor,
  createEpoch,
  createLicense,
  deployStack,
  deposit,
  PG_SERVER,
  POSTER,
  postgresReachable,
  rpc,
} from "../helpers/chain";

describe("offchain/chain/scheduler", () => {
  let dbA: TestDb;
  let dbB: Db;
  let url: string;
  let stack: DevStack;
  const poster = clientsFor(1);
  const unit = parseUnits("1", 18);

  before(async function () {
    // These tests are about two instances on one PostgreSQL database: without the server they fail, loudly.
    if (!(await postgresReachable()))
      throw new Error(`PostgreSQL is not reachable at ${PG_SERVER}: start it (see TOOLCHAIN.md) or set TEST_PG_URL`);
    dbA = await openTestDatabase("postgres");
    url = `${PG_SERVER}/${dbA.name}`;
    dbB = await openDatabase({ url, dataDir: "" }); // the second service instance, same database
    stack = await deployStack(3600);
    await deposit(stack, await createLicense(dbA, stack.stablecoin), 1000n);
  });
  after(async () => {
    await dbB?.close();
    await dbA?.close();
  });

  const publisherOn = (db: Db): RootPublisher =>
    createRootPublisher({
      common: { logger: silentLogger },
      db,
      clients: poster, // both instances hold the publisher key, as two replicas of one service would
      config: {
        splitter: stack.splitter,
        startBlock: stack.deployBlock,
        maxBlockRange: 1000,
        stuckAfterMs: 60_000,
        feeBumpPercent: 25,
        pollIntervalMs: 10,
      },
    });

  async function rootsOnChain(): Promise<Record<number, number>> {
    const logs = await poster.publicClient.getContractEvents({
      address: stack.splitter,
      abi: royaltySplitterAbi,
      eventName: "RootProposed",
      fromBlock: stack.deployBlock,
      strict: true,
    });
    const out: Record<number, number> = {};
    for (const l of logs) out[l.args.epoch] = (out[l.args.epoch] ?? 0) + 1;
    return out;
  }
  const passTimelock = async () => {
    await rpc("evm_increaseTime", [3601]);
    await rpc("hardhat_mine", ["0x1"]);
  };
  const nonce = () => poster.publicClient.getTransactionCount({ address: POSTER.address });

  it("runs the pass in only one of two instances while the other holds the lock", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const lockA = createAdvisoryLock({ db: dbA, databaseUrl: url });
    const lockB = createAdvisoryLock({ db: dbB, databaseUrl: url });
    const a = createScheduler({
      common: { logger: silentLogger },
      lock: lockA,
      config: { intervalMs: 1000 },
      steps: [
        {
          name: "hold",
          run: () => {
            entered();
            return held;
          },
        },
      ],
    });
    const b = createScheduler({
      common: { logger: silentLogger },
      lock: lockB,
      config: { intervalMs: 1000 },
      steps: [{ name: "hold", run: async () => {} }],
    });
    try {
      const passA = a.runOnce();
      await inside;
      expect(await b.runOnce()).to.deep.equal({ ran: false, steps: [] });
      release();
      expect(await passA).to.deep.equal({ ran: true, steps: ["hold"] });
      expect(await b.runOnce()).to.deep.equal({ ran: true, steps: ["hold"] }); // released after A's pass
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it("two instances publishing every interval against one PostgreSQL database put one root per epoch on chain", async () => {
    const pubA = publisherOn(dbA);
    const pubB = publisherOn(dbB);
    const schedulerOn = (db: Db, pub: RootPublisher) =>
      createScheduler({
        common: { logger: silentLogger },
        lock: createAdvisoryLock({ db, databaseUrl: url }),
        config: { intervalMs: 1000 },
        steps: [{ name: "publish", run: pub.runOnce }],
      });
    const a = schedulerOn(dbA, pubA);
    const b = schedulerOn(dbB, pubB);
    const before = await nonce();
    let ran = 0;
    try {
      for (let epoch = 1; epoch <= 4; epoch++) {
        await createEpoch(dbA, epoch, { [stack.stablecoin]: BigInt(epoch) * 10n * unit });
        const passes = await Promise.all([a.runOnce(), b.runOnce(), a.runOnce(), b.runOnce()]);
        ran += passes.filter((p) => p.ran).length;
        await passTimelock();
      }
      // Without the lock the publisher itself still refuses to post an epoch twice (record-before-broadcast).
      for (let epoch = 5; epoch <= 7; epoch++) {
        await createEpoch(dbB, epoch, { [stack.stablecoin]: BigInt(epoch) * 10n * unit });
        await Promise.all([pubA.runOnce(), pubB.runOnce(), pubA.runOnce(), pubB.runOnce()]);
        await passTimelock();
      }
    } finally {
      await a.stop();
      await b.stop();
    }
    expect(ran).to.be.at.least(4);
    expect(await rootsOnChain()).to.deep.equal({ 1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 1 });
    expect(await nonce()).to.equal(before + 7); // not one duplicate transaction, reverted or not
    await pubA.runOnce(); // follows the last root to claimable
    const states = await dbA.prisma.epochPublication.findMany({ orderBy: { epochId: "asc" } });
    expect(states.map((s) => [s.epochId, s.state])).to.deep.equal([1, 2, 3, 4, 5, 6, 7].map((e) => [e, "claimable"]));
  });
});
