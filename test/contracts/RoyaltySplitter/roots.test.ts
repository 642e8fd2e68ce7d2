import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { getAddress, keccak256, toHex, type Address, type Hex } from "viem";
import {
  buildTree,
  CONTENT,
  deploySplitterFixture,
  depositFrom,
  expectRevert,
  leafOf,
  postRoot,
  receiptOf,
  TIMELOCK,
  type Leaf,
  type SplitterFixture,
} from "./helpers";

const rootOf = (label: string): Hex => keccak256(toHex(label));

async function fundedFixture() {
  const f = await deploySplitterFixture();
  await depositFrom(f, f.token.address, 1_000_000n);
  await depositFrom(f, f.token2.address, 1_000_000n);
  return f;
}

async function propose(f: SplitterFixture, root: Hex, epoch: number, totals: { token: Address; total: bigint }[]) {
  return f.splitter.write.proposeRoot([root, CONTENT, epoch, totals], { account: f.poster.account });
}

describe("RoyaltySplitter roots", () => {
  it("stores a proposal as pending with its readyAt and emits RootProposed with the totals", async () => {
    const f = await loadFixture(fundedFixture);
    // Nothing proposed yet: no pending root, so no pending total.
    expect(await f.splitter.read.pendingRootTotal([f.token.address])).to.equal(0n);
    const hash = await propose(f, rootOf("r1"), 7, [{ token: f.token.address, total: 100n }]);
    const receipt = await receiptOf(f, hash);
    const block = await f.publicClient.getBlock({ blockHash: receipt.blockHash });
    const readyAt = block.timestamp + BigInt(TIMELOCK);
    expect(await f.splitter.read.pendingRoot()).to.deep.equal([rootOf("r1"), 7, readyAt]);
    expect(await f.splitter.read.claimableRoot()).to.deep.equal([`0x${"00".repeat(32)}`, 0]);
    expect(await f.splitter.read.lastProposedEpoch()).to.equal(7);
    expect(await f.splitter.read.pendingRootTotal([f.token.address])).to.equal(100n);
    expect(await f.splitter.read.rootTotal([f.token.address])).to.equal(0n);
    const [event] = await f.splitter.getEvents.RootProposed({}, { blockHash: receipt.blockHash });
    expect(event.args).to.deep.equal({
      epoch: 7,
      root: rootOf("r1"),
      contentHash: CONTENT,
      readyAt,
      totals: [{ token: getAddress(f.token.address), total: 100n }],
    });
  });

  it("makes the pending root claimable once the timelock passes, with no accept transaction", async () => {
    const f = await loadFixture(fundedFixture);
    await propose(f, rootOf("r1"), 1, [{ token: f.token.address, total: 100n }]);
    await time.increase(TIMELOCK - 2);
    expect((await f.splitter.read.claimableRoot())[0]).to.equal(`0x${"00".repeat(32)}`);
    await time.increase(2);
    expect(await f.splitter.read.claimableRoot()).to.deep.equal([rootOf("r1"), 1]);
    expect(await f.splitter.read.pendingRoot()).to.deep.equal([`0x${"00".repeat(32)}`, 0, 0n]);
    expect(await f.splitter.read.rootTotal([f.token.address])).to.equal(100n);
    expect(await f.splitter.read.pendingRootTotal([f.token.address])).to.equal(0n);
  });

  it("rejects a proposal while the pending root is maturing, so no root can be kept pending forever", async () => {
    const f = await loadFixture(fundedFixture);
    const hash = await propose(f, rootOf("r1"), 1, [{ token: f.token.address, total: 100n }]);
    const block = await f.publicClient.getBlock({ blockHash: (await receiptOf(f, hash)).blockHash });
    await expectRevert(propose(f, rootOf("r2"), 2, []), f.abi, "RoyaltySplitterRootPending", [
      1,
      block.timestamp + BigInt(TIMELOCK),
    ]);
    await time.increase(TIMELOCK);
    // r1 matured: the next proposal promotes it; r1 stays claimable while r2 matures.
    await propose(f, rootOf("r2"), 2, [{ token: f.token.address, total: 150n }]);
    expect(await f.splitter.read.claimableRoot()).to.deep.equal([rootOf("r1"), 1]);
    expect((await f.splitter.read.pendingRoot())[0]).to.equal(rootOf("r2"));
    expect(await f.splitter.read.rootTotal([f.token.address])).to.equal(100n);
    expect(await f.splitter.read.pendingRootTotal([f.token.address])).to.equal(150n);
    await time.increase(TIMELOCK);
    expect(await f.splitter.read.claimableRoot()).to.deep.equal([rootOf("r2"), 2]);
    expect(await f.splitter.read.rootTotal([f.token.address])).to.equal(150n);
  });

  it("rejects a zero root, a non-increasing epoch and unsorted or duplicate totals", async () => {
    const f = await loadFixture(fundedFixture);
    await expectRevert(propose(f, `0x${"00".repeat(32)}`, 1, []), f.abi, "RoyaltySplitterZeroRoot", []);
    await propose(f, rootOf("r1"), 5, []);
    await time.increase(TIMELOCK);
    await expectRevert(propose(f, rootOf("r2"), 5, []), f.abi, "RoyaltySplitterEpochNotIncreasing", [5, 5]);
    await expectRevert(propose(f, rootOf("r2"), 4, []), f.abi, "RoyaltySplitterEpochNotIncreasing", [4, 5]);
    const [low, high] = [f.token.address, f.token2.address].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    await expectRevert(
      propose(f, rootOf("r2"), 6, [
        { token: high, total: 1n },
        { token: low, total: 1n },
      ]),
      f.abi,
      "RoyaltySplitterTotalsNotSorted",
      [low],
    );
    await expectRevert(
      propose(f, rootOf("r2"), 6, [
        { token: low, total: 1n },
        { token: low, total: 2n },
      ]),
      f.abi,
      "RoyaltySplitterTotalsNotSorted",
      [low],
    );
    await expectRevert(
      propose(f, rootOf("r2"), 6, [{ token: "0x0000000000000000000000000000000000000000", total: 0n }]),
      f.abi,
      "RoyaltySplitterTotalsNotSorted",
      ["0x0000000000000000000000000000000000000000"],
    );
  });

  it("rejects an insolvent root whose total exceeds the token's deposits", async () => {
    const f = await loadFixture(fundedFixture);
    await expectRevert(
      propose(f, rootOf("r1"), 1, [{ token: f.token.address, total: 1_000_001n }]),
      f.abi,
      "RoyaltySplitterInsolventRoot",
      [f.token.address, 1_000_001n, 1_000_000n],
    );
    await propose(f, rootOf("r1"), 1, [{ token: f.token.address, total: 1_000_000n }]);
  });

  it("rejects a root whose total is below the claimable root's total", async () => {
    const f = await loadFixture(fundedFixture);
    await propose(f, rootOf("r1"), 1, [{ token: f.token.address, total: 500n }]);
    await time.increase(TIMELOCK);
    await expectRevert(
      propose(f, rootOf("r2"), 2, [{ token: f.token.address, total: 499n }]),
      f.abi,
      "RoyaltySplitterTotalDecreased",
      [f.token.address, 499n, 500n],
    );
    await propose(f, rootOf("r2"), 2, [{ token: f.token.address, total: 500n }]);
  });

  it("rejects a proposal whose readyAt would not fit 32 bits (year 2106)", async () => {
    const f = await loadFixture(fundedFixture);
    await time.setNextBlockTimestamp(2 ** 32 - TIMELOCK);
    await expectRevert(propose(f, rootOf("r1"), 1, []), f.abi, "RoyaltySplitterTimestampTooLarge", [BigInt(2 ** 32)]);
  });

  it("lets only the poster propose", async () => {
    const f = await loadFixture(fundedFixture);
    const role = await f.splitter.read.POSTER_ROLE();
    await expectRevert(
      f.splitter.write.proposeRoot([rootOf("r1"), CONTENT, 1, []], { account: f.outsider.account }),
      f.abi,
      "AccessControlUnauthorizedAccount",
      [f.outsider.account.address, role],
    );
  });

  it("lets the guardian veto a maturing root, which then never becomes claimable", async () => {
    const f = await loadFixture(fundedFixture);
    await propose(f, rootOf("r1"), 1, [{ token: f.token.address, total: 100n }]);
    const hash = await f.splitter.write.vetoRoot([1], { account: f.guardian.account });
    const [event] = await f.splitter.getEvents.RootVetoed({}, { blockHash: (await receiptOf(f, hash)).blockHash });
    expect(event.args).to.deep.equal({
      epoch: 1,
      root: rootOf("r1"),
      guardian: getAddress(f.guardian.account.address),
    });
    await time.increase(TIMELOCK);
    expect((await f.splitter.read.claimableRoot())[0]).to.equal(`0x${"00".repeat(32)}`);
    expect(await f.splitter.read.pendingRoot()).to.deep.equal([`0x${"00".repeat(32)}`, 0, 0n]);
    expect(await f.splitter.read.rootTotal([f.token.address])).to.equal(0n);
    expect(await f.splitter.read.pendingRootTotal([f.token.address])).to.equal(0n);
    // The vetoed total does not bind the next proposal, and its epoch is burnt.
    await expectRevert(propose(f, rootOf("r1b"), 1, []), f.abi, "RoyaltySplitterEpochNotIncreasing", [1, 1]);
    await propose(f, rootOf("r2"), 2, [{ token: f.token.address, total: 50n }]);
  });

  it("rejects vetoes of a matured root, of a wrong epoch, with nothing pending, or from a non-guardian", async () => {
    const f = await loadFixture(fundedFixture);
    const guardianRole = await f.splitter.read.GUARDIAN_ROLE();
    await expectRevert(
      f.splitter.write.vetoRoot([1], { account: f.guardian.account }),
      f.abi,
      "RoyaltySplitterNotPendingEpoch",
      [1],
    );
    const hash = await propose(f, rootOf("r1"), 1, []);
    const block = await f.publicClient.getBlock({ blockHash: (await receiptOf(f, hash)).blockHash });
    await expectRevert(
      f.splitter.write.vetoRoot([2], { account: f.guardian.account }),
      f.abi,
      "RoyaltySplitterNotPendingEpoch",
      [2],
    );
    await expectRevert(
      f.splitter.write.vetoRoot([1], { account: f.outsider.account }),
      f.abi,
      "AccessControlUnauthorizedAccount",
      [f.outsider.account.address, guardianRole],
    );
    await time.increase(TIMELOCK);
    await expectRevert(
      f.splitter.write.vetoRoot([1], { account: f.guardian.account }),
      f.abi,
      "RoyaltySplitterRootAlreadyMatured",
      [1, block.timestamp + BigInt(TIMELOCK)],
    );
  });

  it("checks monotonic totals against the claimable root even after an older vetoed proposal of the token", async () => {
    const f = await loadFixture(fundedFixture);
    const A = f.token.address;
    const B = f.token2.address;
    const sorted = (xs: { token: Address; total: bigint }[]) =>
      xs.sort((x, y) => (BigInt(x.token) < BigInt(y.token) ? -1 : 1));
    await propose(f, rootOf("e1"), 1, [{ token: A, total: 100n }]);
    await time.increase(TIMELOCK);
    await propose(
      f,
      rootOf("e2"),
      2,
      sorted([
        { token: A, total: 900n },
        { token: B, total: 10n },
      ]),
    );
    await f.splitter.write.vetoRoot([2], { account: f.guardian.account });
    await propose(f, rootOf("e3"), 3, [{ token: B, total: 20n }]);
    await time.increase(TIMELOCK);
    // A's record still carries the vetoed epoch 2 (900), older than the active epoch: it must not count.
    expect(await f.splitter.read.rootTotal([A])).to.equal(100n);
    expect(await f.splitter.read.rootTotal([B])).to.equal(20n);
    await propose(f, rootOf("e4"), 4, [{ token: A, total: 150n }]);
    // B is not listed in e4: the pending root carries B's claimable total over.
    expect(await f.splitter.read.pendingRootTotal([B])).to.equal(20n);
    expect(await f.splitter.read.pendingRootTotal([A])).to.equal(150n);
    await time.increase(TIMELOCK);
    await propose(f, rootOf("e5"), 5, []);
    expect(await f.splitter.read.rootTotal([A])).to.equal(150n);
    expect(await f.splitter.read.rootTotal([B])).to.equal(20n);
    await time.increase(TIMELOCK);
    await expectRevert(
      propose(f, rootOf("e6"), 6, [{ token: A, total: 149n }]),
      f.abi,
      "RoyaltySplitterTotalDecreased",
      [A, 149n, 150n],
    );
  });

  it("uses the timelock in force at proposal time", async () => {
    const f = await loadFixture(fundedFixture);
    await f.splitter.write.scheduleTimelock([2 * TIMELOCK], { account: f.admin.account });
    await time.increase(TIMELOCK);
    await f.splitter.write.setTimelock([2 * TIMELOCK], { account: f.admin.account });
    const hash = await propose(f, rootOf("r1"), 1, []);
    const block = await f.publicClient.getBlock({ blockHash: (await receiptOf(f, hash)).blockHash });
    expect((await f.splitter.read.pendingRoot())[2]).to.equal(block.timestamp + BigInt(2 * TIMELOCK));
  });

  it("lets claims against a root proposed from a real tree once matured (end-to-end)", async () => {
    const f = await loadFixture(fundedFixture);
    const leaves: Leaf[] = [
      [f.alice.account.address, f.token.address, 10n],
      [f.bob.account.address, f.token.address, 20n],
    ];
    const tree = buildTree(leaves);
    await postRoot(f, tree, leaves, 1);
    const { amount, proof } = leafOf(tree, f.alice.account.address, f.token.address);
    await f.splitter.write.claim([f.alice.account.address, f.token.address, amount, proof], {
      account: f.relayer.account,
    });
    expect(await f.token.read.balanceOf([f.alice.account.address])).to.equal(10n);
  });
});
