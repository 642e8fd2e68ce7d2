import { expect } from "chai";
import { getAddress, parseUnits, type Hex } from "viem";
import {
  createRootPublisher,
  type RootPublisherHooks,
  type RootPublisherConfig,
} from "../../../offchain/chain/root-publisher";
import { royaltySplitterAbi } from "../../../offchain/chain/abi";
import { silentLogger } from "../../../offchain/chain/common";
import type { DevStack } from "../../../offchain/chain/deploy";
import { openTestDatabase, truncateAll, type TestDb } from "../helpers/database";
import {
  clientsFor,
  createEpoch,
  createLicense,
  deployStack,
  deposit,
  expectRejection,
  mine,
  rpc,
  POSTER,
} from "../helpers/chain";

const UNIT = parseUnits("1", 18);

describe("offchain/chain/root-publisher", () => {
  let db: TestDb;
  let stack: DevStack;
  const poster = clientsFor(1);

  before(async () => {
    db = await openTestDatabase();
  });
  after(async () => db.close());
  beforeEach(async () => {
    await truncateAll(db);
    stack = await deployStack(3600);
    await deposit(stack, await createLicense(db, stack.stablecoin), 100n);
  });

  const publisher = (hooks?: RootPublisherHooks, over: Partial<RootPublisherConfig> = {}) =>
    createRootPublisher({
      common: { logger: silentLogger },
      db,
      clients: poster,
      config: {
        splitter: stack.splitter,
        startBlock: stack.deployBlock,
        maxBlockRange: 1000,
        stuckAfterMs: 60_000,
        feeBumpPercent: 25,
        pollIntervalMs: 10,
        ...over,
      },
      hooks,
    });

  /** Number of RootProposed logs per epoch on chain. */
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
  const nonce = () => poster.publicClient.getTransactionCount({ address: POSTER.address });
  const pub = (epochId: number) => db.prisma.epochPublication.findUnique({ where: { epochId } });
  const crashAt = (point: keyof RootPublisherHooks): RootPublisherHooks => ({
    [point]: () => {
      throw new Error(`crash ${point}`);
    },
  });
  const totals = (n: bigint) => ({ [stack.stablecoin]: n * UNIT });
  const passTimelock = async () => {
    await rpc("evm_increaseTime", [3601]);
    await mine(1);
  };

  it("posts a computed epoch once, then follows it to claimable after the timelock", async () => {
    const { root } = await createEpoch(db, 1, totals(40n));
    const p = publisher();
    expect(await p.runOnce()).to.deep.equal({ submitted: 1 });
    expect((await pub(1))?.state).to.equal("mined");
    await p.runOnce();
    expect((await pub(1))?.state).to.equal("mined"); // timelock still running
    await passTimelock();
    await p.runOnce();
    expect((await pub(1))?.state).to.equal("claimable");
    const epoch = await db.prisma.epoch.findUniqueOrThrow({ where: { id: 1 } });
    expect(epoch.status).to.equal("claimable");
    expect(epoch.txHash).to.equal((await pub(1))?.minedTxHash);
    const [claimableRoot, claimableEpoch] = await poster.publicClient.readContract({
      address: stack.splitter,
      abi: royaltySplitterAbi,
      functionName: "claimableRoot",
    });
    expect([claimableRoot, claimableEpoch]).to.deep.equal([root, 1]);
    expect(await rootsOnChain()).to.deep.equal({ 1: 1 });
  });

  it("crash after signing, before recording: the restarted publisher posts the epoch exactly once", async () => {
    await createEpoch(db, 1, totals(10n));
    const before = await nonce();
    await expectRejection(publisher(crashAt("afterSign")).runOnce(), "crash afterSign");
    expect(await pub(1)).to.equal(null);
    expect(await rootsOnChain()).to.deep.equal({});
    await publisher().runOnce();
    expect((await pub(1))?.state).to.equal("mined");
    expect(await rootsOnChain()).to.deep.equal({ 1: 1 });
    expect(await nonce()).to.equal(before + 1);
  });

  it("crash after recording, before broadcasting: the restart re-broadcasts the recorded transaction", async () => {
    await createEpoch(db, 1, totals(10n));
    await expectRejection(publisher(crashAt("afterRecord")).runOnce(), "crash afterRecord");
    const recorded = await pub(1);
    expect(recorded?.state).to.equal("submitted");
    expect(await rootsOnChain()).to.deep.equal({});
    await publisher().runOnce(); // re-broadcasts
    await publisher().runOnce(); // sees the receipt
    const done = await pub(1);
    expect(done?.state).to.equal("mined");
    expect(done?.minedTxHash).to.equal(recorded?.txHash);
    expect(await rootsOnChain()).to.deep.equal({ 1: 1 });
  });

  it("crash after submitting, before the receipt: the restart finds the receipt and posts nothing more", async () => {
    await createEpoch(db, 1, totals(10n));
    const before = await nonce();
    await expectRejection(publisher(crashAt("afterBroadcast")).runOnce(), "crash afterBroadcast");
    expect((await pub(1))?.state).to.equal("submitted");
    await publisher().runOnce();
    expect((await pub(1))?.state).to.equal("mined");
    expect(await rootsOnChain()).to.deep.equal({ 1: 1 });
    expect(await nonce()).to.equal(before + 1);
  });

  it("crash after mining, before recording it: the restart records the mined root and posts nothing more", async () => {
    await createEpoch(db, 1, totals(10n));
    await createEpoch(db, 2, totals(20n));
    const before = await nonce();
    await expectRejection(publisher(crashAt("afterReceipt")).runOnce(), "crash afterReceipt");
    expect((await pub(1))?.state).to.equal("submitted");
    expect(await rootsOnChain()).to.deep.equal({ 1: 1 });
    await passTimelock(); // epoch 2 may follow once epoch 1 matured
    const p = publisher();
    await p.runOnce(); // records epoch 1 as mined, then posts epoch 2
    expect((await pub(1))?.state).to.equal("mined");
    expect((await pub(2))?.state).to.equal("mined");
    expect(await rootsOnChain()).to.deep.equal({ 1: 1, 2: 1 });
    expect(await nonce()).to.equal(before + 2);
  });

  it("waits, sending nothing, while the previous root is maturing, then posts the next epoch", async () => {
    await createEpoch(db, 1, totals(10n));
    await createEpoch(db, 2, totals(20n));
    const p = publisher();
    expect(await p.runOnce()).to.deep.equal({ submitted: 1 });
    const before = await nonce();
    const pass = await p.runOnce();
    expect(pass.waiting).to.match(/^RoyaltySplitterRootPending\(1, \d+\): the previous root is maturing$/);
    expect(await pub(2)).to.equal(null);
    expect(await nonce()).to.equal(before);
    await passTimelock();
    expect(await p.runOnce()).to.deep.equal({ submitted: 2 });
    expect((await pub(1))?.state).to.equal("claimable");
    expect(await rootsOnChain()).to.deep.equal({ 1: 1, 2: 1 });
  });

  it("records a vetoed root as vetoed and publishes the next epoch without waiting for the timelock", async () => {
    await createEpoch(db, 1, totals(10n));
    const p = publisher();
    await p.runOnce();
    const guardian = clientsFor(2);
    await guardian.publicClient.waitForTransactionReceipt({
      hash: await guardian.walletClient!.writeContract({
        address: stack.splitter,
        abi: royaltySplitterAbi,
        functionName: "vetoRoot",
        args: [1],
      }),
    });
    await p.runOnce();
    expect((await pub(1))?.state).to.equal("vetoed");
    expect((await db.prisma.epoch.findUniqueOrThrow({ where: { id: 1 } })).status).to.equal("vetoed");
    await createEpoch(db, 2, totals(10n));
    expect(await p.runOnce()).to.deep.equal({ submitted: 2 });
    expect(await rootsOnChain()).to.deep.equal({ 1: 1, 2: 1 });
  });

  /** Sends `functionName` from dev account `i` (0 admin, 2 guardian) and waits for it. */
  const asAccount = async (i: number, functionName: "pause" | "unpause") => {
    const c = clientsFor(i);
    await c.publicClient.waitForTransactionReceipt({
      hash: await c.walletClient!.writeContract({ address: stack.splitter, abi: royaltySplitterAbi, functionName }),
    });
  };
  const claimableRoot = () =>
    poster.publicClient.readContract({
      address: stack.splitter,
      abi: royaltySplitterAbi,
      functionName: "claimableRoot",
    });
  /** A logger that keeps the messages of `error` calls. */
  const errorsLogged = () => {
    const errors: string[] = [];
    return { errors, logger: { ...silentLogger, error: (_obj: object, msg?: string) => errors.push(msg ?? "") } };
  };

  it("while the splitter is paused proposes nothing over the guardian's correction, alerts once, resumes on unpause", async () => {
    const { root } = await createEpoch(db, 1, totals(10n));
    const { errors, logger } = errorsLogged();
    const p = createRootPublisher({
      common: { logger },
      db,
      clients: poster,
      config: {
        splitter: stack.splitter,
        startBlock: stack.deployBlock,
        maxBlockRange: 1000,
        stuckAfterMs: 60_000,
        feeBumpPercent: 25,
        pollIntervalMs: 10,
      },
    });
    expect(await p.runOnce()).to.deep.equal({ submitted: 1 });
    await passTimelock();
    await p.runOnce();
    expect((await pub(1))?.state).to.equal("claimable");
    await asAccount(2, "pause");
    await createEpoch(db, 2, totals(20n));
    const before = await nonce();
    const waiting = { waiting: "splitter paused: epoch 2 is not the correction (ROOT_CORRECTION_EPOCH)" };
    expect(await p.runOnce()).to.deep.equal(waiting);
    expect(await p.runOnce()).to.deep.equal(waiting);
    expect(errors).to.deep.equal([
      "splitter paused by a guardian: not proposing; set ROOT_CORRECTION_EPOCH to the reviewed correction's epoch to publish it",
    ]);
    expect(await nonce()).to.equal(before);
    expect(await pub(2)).to.equal(null);
    expect(await rootsOnChain()).to.deep.equal({ 1: 1 });
    expect(await claimableRoot()).to.deep.equal([root, 1]); // the live root was not superseded
    await asAccount(0, "unpause");
    expect(await p.runOnce()).to.deep.equal({ submitted: 2 });
    expect(await rootsOnChain()).to.deep.equal({ 1: 1, 2: 1 });
    expect(await claimableRoot()).to.deep.equal([root, 1]); // epoch 2 is pending, epoch 1 still pays
  });

  it("while paused proposes the epoch named as the correction, which supersedes the live root", async () => {
    await createEpoch(db, 1, totals(10n));
    const p = publisher(undefined, { correctionEpoch: 2 });
    await p.runOnce();
    await passTimelock();
    await p.runOnce();
    await asAccount(2, "pause");
    const { root } = await createEpoch(db, 2, totals(10n));
    expect(await p.runOnce()).to.deep.equal({ submitted: 2 });
    expect((await pub(2))?.state).to.equal("mined");
    expect(await rootsOnChain()).to.deep.equal({ 1: 1, 2: 1 });
    const [pendingRoot, pendingEpoch] = await poster.publicClient.readContract({
      address: stack.splitter,
      abi: royaltySplitterAbi,
      functionName: "pendingRoot",
    });
    expect([pendingRoot, pendingEpoch]).to.deep.equal([root, 2]);
    expect(await claimableRoot()).to.deep.equal([`0x${"0".repeat(64)}`, 0]); // epoch 1 superseded
    await createEpoch(db, 3, totals(10n));
    await passTimelock();
    // Still paused, and epoch 3 is not the correction: the publisher waits even though epoch 2 matured.
    expect(await p.runOnce()).to.deep.equal({
      waiting: "splitter paused: epoch 3 is not the correction (ROOT_CORRECTION_EPOCH)",
    });
    expect((await pub(2))?.state).to.equal("claimable");
  });

  it("alerts when a pause mined just before its routine proposal made that root a correction of the live root", async () => {
    const { root } = await createEpoch(db, 1, totals(10n));
    const { errors, logger } = errorsLogged();
    const p = createRootPublisher({
      common: { logger },
      db,
      clients: poster,
      config: {
        splitter: stack.splitter,
        startBlock: stack.deployBlock,
        maxBlockRange: 1000,
        stuckAfterMs: 60_000,
        feeBumpPercent: 25,
        pollIntervalMs: 10,
      },
    });
    await p.runOnce();
    await passTimelock();
    await p.runOnce();
    expect(await claimableRoot()).to.deep.equal([root, 1]);
    await createEpoch(db, 2, totals(10n));
    await rpc("evm_setAutomine", [false]);
    try {
      expect(await p.runOnce()).to.deep.equal({ submitted: 2 }); // checked: not paused
      const guardian = clientsFor(2);
      // The guardian's pause pays more, so it is mined first in the same block.
      await guardian.walletClient!.writeContract({
        address: stack.splitter,
        abi: royaltySplitterAbi,
        functionName: "pause",
        maxPriorityFeePerGas: 100n * 10n ** 9n,
        maxFeePerGas: 1000n * 10n ** 9n,
      });
      await rpc("evm_mine");
    } finally {
      await rpc("evm_setAutomine", [true]);
    }
    expect(errors).to.deep.equal([]);
    await p.runOnce();
    expect((await pub(2))?.state).to.equal("mined");
    expect(await claimableRoot()).to.deep.equal([`0x${"0".repeat(64)}`, 0]); // epoch 1 was superseded
    expect(errors).to.deep.equal([
      "a routine root landed while the splitter was paused and superseded the live root; veto it unless it is the correction",
    ]);
  });

  it("does not alert when the pause is mined after its proposal: the live root still pays", async () => {
    const { root } = await createEpoch(db, 1, totals(10n));
    const { errors, logger } = errorsLogged();
    const p = createRootPublisher({
      common: { logger },
      db,
      clients: poster,
      config: {
        splitter: stack.splitter,
        startBlock: stack.deployBlock,
        maxBlockRange: 1000,
        stuckAfterMs: 60_000,
        feeBumpPercent: 25,
        pollIntervalMs: 10,
      },
    });
    await p.runOnce();
    await passTimelock();
    await p.runOnce();
    await createEpoch(db, 2, totals(10n));
    expect(await p.runOnce()).to.deep.equal({ submitted: 2 });
    await asAccount(2, "pause");
    await p.runOnce();
    expect((await pub(2))?.state).to.equal("mined");
    expect(await claimableRoot()).to.deep.equal([root, 1]);
    expect(errors).to.deep.equal([]);
  });

  it("a mined root that a reorg removes goes back to submitted and its recorded transaction lands again, once", async () => {
    await createEpoch(db, 1, totals(10n));
    const snapshot = await rpc<string>("evm_snapshot");
    const p = publisher();
    await p.runOnce();
    const mined = await pub(1);
    expect(mined?.state).to.equal("mined");
    await rpc("evm_revert", [snapshot]); // the block with the proposal is gone
    expect(await rootsOnChain()).to.deep.equal({});
    await p.runOnce();
    expect((await pub(1))?.state).to.equal("submitted");
    await p.runOnce(); // re-broadcasts the recorded raw transaction
    await p.runOnce(); // finds its receipt
    const again = await pub(1);
    expect(again?.state).to.equal("mined");
    expect(again?.minedTxHash).to.equal(mined?.txHash);
    expect(await rootsOnChain()).to.deep.equal({ 1: 1 });
  });

  it("adopts an epoch the chain already has (database lost the record) instead of posting it again", async () => {
    await createEpoch(db, 1, totals(10n));
    await publisher().runOnce();
    const before = await nonce();
    await db.prisma.epochPublication.deleteMany();
    await db.prisma.epoch.update({ where: { id: 1 }, data: { status: "computed", txHash: null } });
    await publisher().runOnce();
    expect((await pub(1))?.state).to.equal("mined");
    expect(await nonce()).to.equal(before); // no transaction was sent, not even one the contract would revert
    expect(await rootsOnChain()).to.deep.equal({ 1: 1 });
  });

  it("reports an insolvent root as a permanent failure with the decoded error, sends nothing and does not retry", async () => {
    await createEpoch(db, 1, totals(101n)); // 100 deposited
    const before = await nonce();
    const p = publisher();
    expect(await p.runOnce()).to.deep.equal({ failed: { epoch: 1, code: "RoyaltySplitterInsolventRoot" } });
    const failed = await pub(1);
    expect(failed?.state).to.equal("failed");
    expect(failed?.failureMessage).to.equal(
      `RoyaltySplitterInsolventRoot(${getAddress(stack.stablecoin)}, ${(101n * UNIT).toString()}, ${(100n * UNIT).toString()})`,
    );
    expect(await p.runOnce()).to.deep.equal({});
    expect(await nonce()).to.equal(before);
    expect(await rootsOnChain()).to.deep.equal({});
  });

  it("reports a decreasing total as a permanent failure and still publishes the next epoch", async () => {
    await createEpoch(db, 1, totals(50n));
    const p = publisher();
    await p.runOnce();
    await passTimelock();
    await p.runOnce();
    expect((await pub(1))?.state).to.equal("claimable");
    await createEpoch(db, 2, totals(30n));
    expect(await p.runOnce()).to.deep.equal({ failed: { epoch: 2, code: "RoyaltySplitterTotalDecreased" } });
    await createEpoch(db, 3, totals(60n));
    expect(await p.runOnce()).to.deep.equal({ submitted: 3 });
    expect(await rootsOnChain()).to.deep.equal({ 1: 1, 3: 1 });
  });

  it("re-prices a stuck transaction with the same nonce and higher fees; exactly one root lands", async () => {
    await createEpoch(db, 1, totals(10n));
    await rpc("evm_setAutomine", [false]);
    try {
      let clock = 0;
      const p = createRootPublisher({
        common: { logger: silentLogger },
        db,
        clients: poster,
        config: {
          splitter: stack.splitter,
          startBlock: stack.deployBlock,
          maxBlockRange: 1000,
          stuckAfterMs: 30_000,
          feeBumpPercent: 25,
          pollIntervalMs: 10,
        },
        now: () => clock,
      });
      expect(await p.runOnce()).to.deep.equal({ submitted: 1 });
      const first = await pub(1);
      expect(first?.state).to.equal("submitted");
      clock = 10_000;
      await p.runOnce(); // not stuck yet
      expect((await pub(1))?.attempts).to.have.length(1);
      clock = 40_000;
      await p.runOnce(); // stuck: re-priced
      const second = await pub(1);
      expect(second?.attempts).to.have.length(2);
      expect(second?.nonce).to.equal(first?.nonce);
      expect(second?.txHash).to.not.equal(first?.txHash);
      expect(
        BigInt(second!.maxFeePerGas!.toFixed()) >= (BigInt(first!.maxFeePerGas!.toFixed()) * 125n) / 100n,
      ).to.equal(true);
      await rpc("evm_mine");
      await p.runOnce();
      const mined = await pub(1);
      expect(mined?.state).to.equal("mined");
      expect(mined?.minedTxHash).to.equal(second?.txHash as Hex);
      expect(await rootsOnChain()).to.deep.equal({ 1: 1 });
    } finally {
      await rpc("evm_setAutomine", [true]);
    }
  });
});
