import { expect } from "chai";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { keccak256, parseUnits, toHex, type Address, type Hex } from "viem";
import { createClaimWatcher } from "../../../offchain/chain/claim-watcher";
import { royaltySplitterAbi } from "../../../offchain/chain/abi";
import { silentLogger } from "../../../offchain/chain/common";
import { createProofState } from "../../../offchain/epochs";
import type { DevStack } from "../../../offchain/chain/deploy";
import { openTestDatabase, type TestDb } from "../helpers/database";
import { clientsFor, createLicense, deployStack, deposit, devAccount, mine, rpc } from "../helpers/chain";

describe("offchain/chain/claim-watcher", () => {
  let db: TestDb;
  let stack: DevStack;
  const poster = clientsFor(1);
  const creator = devAccount(5).address;
  const other = devAccount(6).address;

  before(async () => {
    db = await openTestDatabase();
    stack = await deployStack(60);
    await deposit(stack, await createLicense(db, stack.stablecoin), 100n);
  });
  after(async () => db.close());

  /** Posts a root paying `amounts` (cumulative), waits out the timelock, returns the tree. */
  async function postRoot(epoch: number, amounts: [Address, bigint][]) {
    const tree = StandardMerkleTree.of(
      amounts.map(([a, v]) => [a, stack.stablecoin, v.toString()]),
      ["address", "address", "uint256"],
    );
    const total = amounts.reduce((s, [, v]) => s + v, 0n);
    const hash = await poster.walletClient!.writeContract({
      address: stack.splitter,
      abi: royaltySplitterAbi,
      functionName: "proposeRoot",
      args: [tree.root as Hex, keccak256(toHex(`file ${epoch}`)), epoch, [{ token: stack.stablecoin, total }]],
    });
    await poster.publicClient.waitForTransactionReceipt({ hash });
    await rpc("evm_increaseTime", [61]);
    await mine(1);
    return tree;
  }

  async function claim(tree: StandardMerkleTree<string[]>, account: Address) {
    for (const [i, leaf] of tree.entries()) {
      if (leaf[0].toLowerCase() !== account.toLowerCase()) continue;
      const hash = await clientsFor(7).walletClient!.writeContract({
        address: stack.splitter,
        abi: royaltySplitterAbi,
        functionName: "claim",
        args: [account, stack.stablecoin, BigInt(leaf[2]), tree.getProof(i) as Hex[]],
      });
      await poster.publicClient.waitForTransactionReceipt({ hash });
    }
  }

  const onChainClaimed = (account: Address) =>
    poster.publicClient.readContract({
      address: stack.splitter,
      abi: royaltySplitterAbi,
      functionName: "claimed",
      args: [account, stack.stablecoin],
    });
  const dbClaimed = async (account: Address) => {
    const row = await db.prisma.claimedTotal.findUnique({
      where: { account_token: { account: account.toLowerCase(), token: stack.stablecoin.toLowerCase() } },
    });
    return row ? BigInt(row.claimed.toFixed()) : 0n;
  };

  it("records confirmed claims as each account's exact claimed total, across roots, waiting for confirmations", async () => {
    const watcher = createClaimWatcher({
      common: { logger: silentLogger },
      db,
      clients: poster,
      config: {
        splitter: stack.splitter,
        startBlock: stack.deployBlock,
        confirmations: 3,
        maxBlockRange: 5,
        pollIntervalMs: 10,
      },
    });
    // This process's proof state, read once now and not refreshed for an hour: only the watcher's update moves it.
    const proofState = createProofState({ prisma: db.prisma, maxAgeMs: 3_600_000 });
    const inMemory = async (account: Address) => (await proofState.forAccount(account)).claimed(stack.stablecoin);
    expect(await inMemory(creator)).to.equal(0n);
    const unit = parseUnits("1", 18);
    const t1 = await postRoot(1, [
      [creator, 30n * unit],
      [other, 10n * unit],
    ]);
    await claim(t1, creator);
    await watcher.runOnce();
    expect(await dbClaimed(creator)).to.equal(0n); // one confirmation of three
    await mine(2);
    await watcher.runOnce();
    expect(await dbClaimed(creator)).to.equal(30n * unit);
    expect(await inMemory(creator), "proof state updated by the watcher").to.equal(30n * unit);

    const t2 = await postRoot(2, [
      [creator, 45n * unit],
      [other, 25n * unit],
    ]);
    await claim(t2, creator);
    await claim(t2, other);
    await mine(3);
    await watcher.runOnce();
    await db.prisma.chainCursor.deleteMany({ where: { id: "claims" } }); // replaying every range changes nothing
    await watcher.runOnce();
    expect(await dbClaimed(creator)).to.equal(await onChainClaimed(creator));
    expect(await dbClaimed(creator)).to.equal(45n * unit);
    expect(await dbClaimed(other)).to.equal(await onChainClaimed(other));
    expect(await dbClaimed(other)).to.equal(25n * unit);
    expect(await inMemory(creator)).to.equal(45n * unit);
    expect(await inMemory(other)).to.equal(25n * unit);
  });
});
