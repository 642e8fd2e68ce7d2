import { expect } from "chai";
import { parseUnits } from "viem";
import { createDepositIndexer, type DepositIndexerConfig } from "../../../offchain/chain/deposit-indexer";
import { royaltySplitterAbi } from "../../../offchain/chain/abi";
import { silentLogger } from "../../../offchain/chain/common";
import type { DevStack } from "../../../offchain/chain/deploy";
import request from "supertest";
import { createApp } from "../../../offchain/api/app";
import { createCommon } from "../../../offchain/common";
import { loadConfig } from "../../../offchain/config";
import { closeEpoch } from "../../../offchain/epochs";
import { openTestDatabase, truncateAll, type TestDb } from "../helpers/database";
import { clientsFor, createLicense, deployStack, deposit, expectRejection, mine, rpc, BUYER } from "../helpers/chain";

describe("offchain/chain/deposit-indexer", () => {
  let db: TestDb;
  let stack: DevStack;
  const clients = clientsFor(0);

  before(async () => {
    db = await openTestDatabase();
  });
  after(async () => db.close());
  beforeEach(async () => {
    await truncateAll(db);
    stack = await deployStack();
  });

  const indexer = (
    over: Partial<DepositIndexerConfig> = {},
    hooks?: Parameters<typeof createDepositIndexer>[0]["hooks"],
  ) =>
    createDepositIndexer({
      common: { logger: silentLogger },
      db,
      clients,
      config: {
        splitter: stack.splitter,
        startBlock: stack.deployBlock,
        confirmations: 3,
        reorgDepth: 8,
        maxBlockRange: 100,
        pollIntervalMs: 10,
        ...over,
      },
      hooks,
    });

  const states = async () =>
    (await db.prisma.deposit.findMany({ orderBy: { blockNumber: "asc" } })).map((d) => ({
      tx: d.txHash,
      state: d.state,
      amount: d.amount.toFixed(),
    }));

  const confirmedSum = async () =>
    (await db.prisma.deposit.findMany({ where: { state: "confirmed" } })).reduce(
      (s, d) => s + BigInt(d.amount.toFixed()),
      0n,
    );

  const onChainTotal = () =>
    clients.publicClient.readContract({
      address: stack.splitter,
      abi: royaltySplitterAbi,
      functionName: "totalDeposited",
      args: [stack.stablecoin],
    });

  it("keeps a deposit pending until it has N confirmations, then confirms it", async () => {
    const license = await createLicense(db, stack.stablecoin);
    const { hash: tx } = await deposit(stack, license, 5n);
    const ix = indexer({ confirmations: 3 });
    await ix.runOnce();
    expect(await states()).to.deep.equal([{ tx, state: "pending", amount: parseUnits("5", 18).toString() }]);
    await mine(1);
    await ix.runOnce();
    expect((await states())[0].state).to.equal("pending");
    await mine(1);
    await ix.runOnce();
    expect((await states())[0].state).to.equal("confirmed");
    const row = await db.prisma.deposit.findFirstOrThrow();
    expect(row.payer).to.equal(BUYER.address.toLowerCase());
    expect(row.licenseId).to.equal(license);
  });

  it("is idempotent: passes over the same blocks never duplicate a deposit", async () => {
    const license = await createLicense(db, stack.stablecoin);
    await deposit(stack, license, 1n);
    await deposit(stack, license, 2n);
    await mine(5);
    const ix = indexer();
    for (let i = 0; i < 3; i++) await ix.runOnce();
    await db.prisma.chainCursor.deleteMany(); // as if the cursor were lost: rescan from the deployment block
    await ix.runOnce();
    expect(await db.prisma.deposit.count()).to.equal(2);
    expect(await confirmedSum()).to.equal(await onChainTotal());
  });

  it("resumes after an interruption mid-range and counts every deposit exactly once", async () => {
    const license = await createLicense(db, stack.stablecoin);
    for (let i = 1n; i <= 6n; i++) await deposit(stack, license, i); // 3 blocks per deposit (mint, approve, deposit)
    await mine(3);
    let ranges = 0;
    const crashing = indexer(
      { maxBlockRange: 4 },
      {
        afterRange() {
          if (++ranges === 2) throw new Error("simulated crash");
        },
      },
    );
    await expectRejection(crashing.runOnce(), "simulated crash");
    const partial = await db.prisma.deposit.count();
    expect(partial).to.be.greaterThan(0).and.lessThan(6);
    const head = await clients.publicClient.getBlockNumber();
    const cursor = await db.prisma.chainCursor.findUniqueOrThrow({ where: { id: "deposits" } });
    expect(cursor.nextBlock < head).to.equal(true);

    await indexer({ maxBlockRange: 4 }).runOnce();
    expect(await db.prisma.deposit.count()).to.equal(6);
    expect(await confirmedSum()).to.equal(await onChainTotal());
    expect(await confirmedSum()).to.equal(parseUnits("21", 18));
  });

  it("un-confirms a reorged-out deposit, counts the replacement branch once, and re-activates it when re-included", async () => {
    const license = await createLicense(db, stack.stablecoin);
    const { hash: kept } = await deposit(stack, license, 10n);
    await mine(3);
    const snapshot = await rpc<string>("evm_snapshot");
    // The branch that will be orphaned: a deposit from another account, confirmed by the indexer before the reorg.
    const orphan = await deposit(stack, license, 7n, 4);
    await mine(3);
    const ix = indexer({ confirmations: 2, reorgDepth: 20 });
    await ix.runOnce();
    expect((await states()).map((s) => s.state)).to.deep.equal(["confirmed", "confirmed"]);
    expect(await confirmedSum()).to.equal(parseUnits("17", 18));

    // Reorg: back to the snapshot, then a different, longer branch with another deposit.
    await rpc("evm_revert", [snapshot]);
    await mine(2);
    const { hash: replacement } = await deposit(stack, license, 3n);
    await mine(6);
    await ix.runOnce();
    let now = await states();
    expect(now.find((s) => s.tx === orphan.hash)?.state).to.equal("reorged");
    expect(now.find((s) => s.tx === kept)?.state).to.equal("confirmed");
    expect(now.find((s) => s.tx === replacement)?.state).to.equal("confirmed");
    expect(await confirmedSum()).to.equal(parseUnits("13", 18));
    expect(await confirmedSum()).to.equal(await onChainTotal());

    // The orphaned transactions are broadcast again (as nodes do from their mempools) and land in new blocks.
    const w = clientsFor(4).walletClient!;
    for (const serializedTransaction of orphan.raw) {
      await clients.publicClient.waitForTransactionReceipt({
        hash: await w.sendRawTransaction({ serializedTransaction }),
      });
    }
    await mine(2);
    await ix.runOnce();
    now = await states();
    expect(now).to.have.length(3);
    expect(now.find((s) => s.tx === orphan.hash)?.state).to.equal("confirmed");
    expect(await confirmedSum()).to.equal(parseUnits("20", 18));
    expect(await confirmedSum()).to.equal(await onChainTotal());
  });

  it("stores (and counts) a deposit naming a licenseId the service does not know, so the engine can refund it", async () => {
    const known = await createLicense(db, stack.stablecoin);
    const unknown = `0x${"ab".repeat(32)}` as const;
    await deposit(stack, unknown, 9n);
    await deposit(stack, known, 2n);
    await mine(3);
    const pass = await indexer().runOnce();
    expect([pass.logs, pass.unknownLicense]).to.deep.equal([2, 1]);
    const rows = await db.prisma.deposit.findMany({ orderBy: { blockNumber: "asc" } });
    expect(rows.map((d) => [d.licenseId, d.amount.toFixed(), d.state])).to.deep.equal([
      [unknown, parseUnits("9", 18).toString(), "confirmed"],
      [known, parseUnits("2", 18).toString(), "confirmed"],
    ]);
  });

  it("refunds a deposit to an unknown license id to its payer after the grace: a leaf in GET /v1/proofs/:account", async () => {
    const common = createCommon(
      loadConfig({
        LOG_LEVEL: "silent",
        TREASURY_ADDRESS: "0x" + "fe".repeat(20),
        SPLITTER_ADDRESS: stack.splitter,
        UNKNOWN_LICENSE_GRACE_SECONDS: "2",
      }),
      { defaultMetrics: false },
    );
    await deposit(stack, `0x${"cd".repeat(32)}`, 9n); // a typo: no license has this id
    await mine(3);
    await indexer().runOnce();
    // Within the grace the deposit is held: nothing is recognized or refunded, so the close stores no epoch.
    const early = await closeEpoch({ prisma: db.prisma, common }, "operator", {});
    expect(early.status).to.equal("empty");
    await new Promise((r) => setTimeout(r, 2_100));
    const late = await closeEpoch({ prisma: db.prisma, common }, "operator", {});
    if (late.status !== "closed") throw new Error(late.reason);
    // After the grace the whole 9 tokens (9·10^18 base units) is one cumulative leaf for the payer, and nothing else.
    const payer = BUYER.address.toLowerCase();
    const token = stack.stablecoin.toLowerCase();
    const amount = parseUnits("9", 18);
    expect(late.result.allocations.map((a) => [a.account, a.token, a.amount, a.cumulative])).to.deep.equal([
      [payer, token, amount, amount],
    ]);
    const app = createApp({ common, db });
    const res = await request(app).get(`/v1/proofs/${payer}`).expect(200);
    expect(res.body.proofs).to.have.length(1);
    expect(res.body.proofs[0]).to.deep.include({
      token,
      cumulative: amount.toString(),
      claimed: "0",
      claimable: "0", // the epoch is computed, not yet claimable on-chain
      leafIndex: 0,
      epoch: 1,
      root: late.root,
      epochStatus: "computed",
    });
    // A one-leaf tree: the root is the leaf itself and the proof is empty.
    expect(res.body.proofs[0].proof).to.deep.equal([]);
  });

  it("start() indexes in the background every interval and stop() waits for the pass in flight", async () => {
    const license = await createLicense(db, stack.stablecoin);
    const ix = indexer({ confirmations: 1, pollIntervalMs: 20 });
    ix.start();
    try {
      await deposit(stack, license, 6n);
      const deadline = Date.now() + 5_000;
      while ((await db.prisma.deposit.count({ where: { state: "confirmed" } })) === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await ix.stop();
    }
    expect(await confirmedSum()).to.equal(parseUnits("6", 18));
    const cursor = await db.prisma.chainCursor.findUniqueOrThrow({ where: { id: "deposits" } });
    await mine(3);
    await new Promise((r) => setTimeout(r, 100));
    expect((await db.prisma.chainCursor.findUniqueOrThrow({ where: { id: "deposits" } })).nextBlock).to.equal(
      cursor.nextBlock,
    ); // stopped
  });

  it("un-confirms deposits above the head when the chain becomes shorter", async () => {
    const license = await createLicense(db, stack.stablecoin);
    const snapshot = await rpc<string>("evm_snapshot");
    await deposit(stack, license, 4n);
    await mine(2);
    const ix = indexer({ confirmations: 1 });
    await ix.runOnce();
    expect((await states())[0].state).to.equal("confirmed");
    await rpc("evm_revert", [snapshot]);
    await ix.runOnce();
    expect((await states())[0].state).to.equal("reorged");
    expect(await confirmedSum()).to.equal(await onChainTotal());
  });

  it("queues one deposit.confirmed webhook, to the license's buyer only, when the deposit becomes confirmed", async () => {
    const license = await createLicense(db, stack.stablecoin);
    const other = await createLicense(db, stack.stablecoin);
    const owners = await db.prisma.license.findMany({
      where: { id: { in: [license, other] } },
      select: { id: true, buyer: { select: { address: true } }, offer: { select: { creator: true } } },
    });
    const ownerOf = (id: string) => owners.find((o) => o.id === id)!;
    const hook = (owner: string, role: "buyer" | "creator") =>
      db.prisma.webhookEndpoint.create({
        data: { owner, role, url: "https://hooks.example.org/d", events: ["deposit.confirmed"], secret: "whsec_x" },
      });
    const buyersHook = await hook(ownerOf(license).buyer.address, "buyer");
    await hook(ownerOf(other).buyer.address, "buyer");
    await hook(ownerOf(license).offer.creator.address, "creator");
    const { hash } = await deposit(stack, license, 5n);
    const ix = indexer({ confirmations: 3 });
    await ix.runOnce();
    expect(await db.prisma.webhookDelivery.count(), "nothing while pending").to.equal(0);
    await mine(2);
    await ix.runOnce();
    await ix.runOnce(); // re-reading a confirmed deposit sends nothing again
    const rows = await db.prisma.webhookDelivery.findMany();
    const log = await db.prisma.deposit.findFirstOrThrow();
    expect(rows.map((r) => [r.endpointId, r.eventType])).to.deep.equal([[buyersHook.id, "deposit.confirmed"]]);
    expect((rows[0].payload as { data: unknown }).data).to.deep.equal({
      licenseId: license,
      token: stack.stablecoin.toLowerCase(),
      amount: parseUnits("5", 18).toString(),
      payer: BUYER.address.toLowerCase(),
      txHash: hash.toLowerCase(),
      logIndex: log.logIndex,
      blockNumber: log.blockNumber.toString(),
    });
  });
});
