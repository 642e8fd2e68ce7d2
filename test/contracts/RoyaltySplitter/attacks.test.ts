/**
 * The issue-10 scenarios, each written the way the attacker or the user does it. Every one of them failed on the
 * v1 splitter (main before issue 10) and passes on v2; see the report of that branch for how that was checked.
 */
import hre from "hardhat";
import { expect } from "chai";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { getAddress, type Address, type Hex } from "viem";
import {
  buildTree,
  CONTENT,
  deploySplitterFixture,
  depositFrom,
  expectRevert,
  leafOf,
  NATIVE,
  postRoot,
  signClaimTo,
  TIMELOCK,
  totalsOf,
  type Leaf,
  type SplitterFixture,
} from "./helpers";

/** Sends the transactions one after the other with automine off, then mines them all in one block. */
async function inOneBlock(f: SplitterFixture, sends: (() => Promise<Hex>)[]) {
  await hre.network.provider.send("evm_setAutomine", [false]);
  const hashes: Hex[] = [];
  try {
    for (const send of sends) hashes.push(await send());
    await mine(1);
  } finally {
    await hre.network.provider.send("evm_setAutomine", [true]);
  }
  const receipts = await Promise.all(hashes.map((hash) => f.publicClient.waitForTransactionReceipt({ hash })));
  expect(new Set(receipts.map((r) => r.blockNumber)).size, "all in one block").to.equal(1);
  return receipts;
}

// A fixed gas limit skips the node's estimate, which would refuse a transaction that reverts: the attacker sends
// them anyway, as a script would.
const GAS = { gas: 1_000_000n };

describe("RoyaltySplitter v2 attack scenarios", () => {
  it("one-block drain: the admin revokes the guardian, drops the timelock, makes itself poster, proposes and claims, all in one block, and gets nothing", async () => {
    const f = await loadFixture(deploySplitterFixture);
    await depositFrom(f, f.token.address, 1_000_000n);
    const admin = f.admin.account.address;
    const [guardianRole, posterRole] = [await f.splitter.read.GUARDIAN_ROLE(), await f.splitter.read.POSTER_ROLE()];
    const loot: Leaf[] = [[admin, f.token.address, 1_000_000n]];
    const tree = buildTree(loot);
    const { amount, proof } = leafOf(tree, admin, f.token.address);
    const as = { account: f.admin.account, ...GAS };
    const receipts = await inOneBlock(f, [
      () => f.splitter.write.revokeRole([guardianRole, f.guardian.account.address], as),
      () => f.splitter.write.setTimelock([0], as),
      () => f.splitter.write.grantRole([posterRole, admin], as),
      () => f.splitter.write.proposeRoot([tree.root as Hex, CONTENT, 1, totalsOf(loot)], as),
      () => f.splitter.write.claim([admin, f.token.address, amount, proof], as),
    ]);
    expect(receipts.map((r) => r.status)).to.deep.equal(["reverted", "reverted", "reverted", "reverted", "reverted"]);
    expect(await f.token.read.balanceOf([admin])).to.equal(0n);
    expect(await f.token.read.balanceOf([f.splitter.address])).to.equal(1_000_000n);
    expect(await f.splitter.read.hasRole([guardianRole, f.guardian.account.address])).to.equal(true);
    expect(await f.splitter.read.timelock()).to.equal(TIMELOCK);

    // The v2 route in one block: schedule the changes and try to use them at once. Scheduling succeeds (and is
    // announced); nothing can be executed before the timelock in force, and the timelock cannot go below the floor.
    const again = await inOneBlock(f, [
      () => f.splitter.write.scheduleRoleChange([guardianRole, f.guardian.account.address, false], as),
      () => f.splitter.write.scheduleRoleChange([posterRole, admin, true], as),
      () => f.splitter.write.scheduleTimelock([0], as),
      () => f.splitter.write.revokeRole([guardianRole, f.guardian.account.address], as),
      () => f.splitter.write.grantRole([posterRole, admin], as),
      () => f.splitter.write.proposeRoot([tree.root as Hex, CONTENT, 1, totalsOf(loot)], as),
      () => f.splitter.write.claim([admin, f.token.address, amount, proof], as),
    ]);
    expect(again.map((r) => r.status)).to.deep.equal([
      "success",
      "success",
      "reverted",
      "reverted",
      "reverted",
      "reverted",
      "reverted",
    ]);
    const scheduled = await f.splitter.getEvents.RoleChangeScheduled({}, { blockHash: again[0].blockHash });
    expect(scheduled.map((e) => e.args.account)).to.deep.equal(
      [f.guardian.account.address, admin].map((a) => getAddress(a)),
    );
    // The guardian reacts within the timelock: it cancels both, and the admin is where it started.
    for (const e of scheduled) await f.splitter.write.cancelScheduled([e.args.id!], { account: f.guardian.account });
    await time.increase(TIMELOCK);
    await expectRevert(
      f.splitter.write.grantRole([posterRole, admin], { account: f.admin.account }),
      f.abi,
      "RoyaltySplitterNotScheduled",
      [await f.splitter.read.roleChangeId([posterRole, admin, true])],
    );
    expect(await f.token.read.balanceOf([f.splitter.address])).to.equal(1_000_000n);
  });

  it("2^32-1 brick: after the poster proposes the highest epoch and the guardian vetoes, the next valid proposal succeeds", async () => {
    const f = await loadFixture(deploySplitterFixture);
    const root = (i: number) => `0x${i.toString(16).padStart(64, "a")}` as Hex;
    const poster = { account: f.poster.account, ...GAS };
    // The hostile poster tries the highest epoch; whatever the splitter does with it, a guardian vetoes what is
    // pending, and then the honest publisher proposes the next epoch.
    await inOneBlock(f, [() => f.splitter.write.proposeRoot([root(1), CONTENT, 2 ** 32 - 1, []], poster)]);
    const [, pendingEpoch] = await f.splitter.read.pendingRoot();
    if (pendingEpoch !== 0) await f.splitter.write.vetoRoot([pendingEpoch], { account: f.guardian.account });
    // Then as far as the rule lets it, propose-and-veto 20 times in a row, each time the farthest epoch allowed.
    let proposals = 0;
    for (let i = 0; i < 20; i++) {
      const last = await f.splitter.read.lastProposedEpoch();
      const farthest = last + 1 + 3600; // an hour passes between proposals: 3,600 more epochs may be skipped
      await time.increase(3600 - 1);
      await f.splitter.write.proposeRoot([root(2 + i), CONTENT, farthest, []], { account: f.poster.account });
      proposals++;
      await f.splitter.write.vetoRoot([farthest], { account: f.guardian.account });
    }
    const last = await f.splitter.read.lastProposedEpoch();
    expect(last).to.be.at.most(proposals * (1 + 3600));
    await f.splitter.write.proposeRoot([root(99), CONTENT, last + 1, []], { account: f.poster.account });
    expect((await f.splitter.read.pendingRoot())[1]).to.equal(last + 1);
  });

  it("pause, correct, unpause: a matured bad root is superseded while paused and is never claimable again", async () => {
    const f = await loadFixture(deploySplitterFixture);
    await depositFrom(f, f.token.address, 1_000n);
    const [attacker, alice, bob] = [f.outsider, f.alice, f.bob].map((w) => w.account.address);
    const bad: Leaf[] = [
      [attacker, f.token.address, 900n],
      [bob, f.token.address, 100n],
    ];
    const badTree = buildTree(bad);
    await postRoot(f, badTree, bad, 1); // nobody vetoed in time: it matured
    // Bob claims before anyone notices: that payout is final.
    const bobBad = leafOf(badTree, bob, f.token.address);
    await f.splitter.write.claim([bob, f.token.address, bobBad.amount, bobBad.proof]);
    await f.splitter.write.pause({ account: f.guardian.account });
    // The correction: same total, the attacker's 900 go to Alice.
    const good: Leaf[] = [
      [attacker, f.token.address, 0n],
      [alice, f.token.address, 900n],
      [bob, f.token.address, 100n],
    ];
    const goodTree = buildTree(good);
    await postRoot(f, goodTree, good, 2, false);
    await f.splitter.write.unpause({ account: f.admin.account });
    const loot = leafOf(badTree, attacker, f.token.address);
    await expectRevert(
      f.splitter.write.claim([attacker, f.token.address, loot.amount, loot.proof], { account: f.outsider.account }),
      f.abi,
      "RoyaltySplitterRootSuperseded",
      [],
    );
    expect((await f.splitter.read.claimableRoot())[1]).to.equal(0);
    await time.increase(TIMELOCK);
    // The correction is claimable; the bad root gets no grace period.
    await expectRevert(
      f.splitter.write.claim([attacker, f.token.address, loot.amount, loot.proof], { account: f.outsider.account }),
      f.abi,
      "RoyaltySplitterInvalidProof",
      [attacker, f.token.address, 900n],
    );
    const aliceGood = leafOf(goodTree, alice, f.token.address);
    await f.splitter.write.claim([alice, f.token.address, aliceGood.amount, aliceGood.proof]);
    // A later routine proposal (which promotes the correction) still gives the bad root no grace either.
    await postRoot(f, goodTree, good, 3, false);
    await expectRevert(
      f.splitter.write.claim([attacker, f.token.address, loot.amount, loot.proof], { account: f.outsider.account }),
      f.abi,
      "RoyaltySplitterInvalidProof",
      [attacker, f.token.address, 900n],
    );
    expect(await f.token.read.balanceOf([attacker])).to.equal(0n);
    expect(await f.token.read.balanceOf([alice])).to.equal(900n);
    expect(await f.token.read.balanceOf([bob])).to.equal(100n);
  });

  it("the race: a claim built against epoch N while N+1 matures in the next block (and N+2 is proposed in it) succeeds", async () => {
    const f = await loadFixture(deploySplitterFixture);
    await depositFrom(f, f.token.address, 10_000n);
    const alice = f.alice.account.address;
    const epoch = (n: bigint): Leaf[] => [
      [alice, f.token.address, 100n * n],
      [f.bob.account.address, f.token.address, 10n * n],
    ];
    const trees = [1n, 2n, 3n].map((n) => buildTree(epoch(n)));
    await postRoot(f, trees[0], epoch(1n), 1);
    await postRoot(f, trees[1], epoch(2n), 2, false);
    // The wallet fetches the proof of the root claimable now (epoch 1); epoch 2 matures in the very next block,
    // where the publisher also proposes epoch 3 (promoting 2) before the claim lands.
    const fetched = leafOf(trees[0], alice, f.token.address);
    const [, , readyAt] = await f.splitter.read.pendingRoot();
    await time.setNextBlockTimestamp(readyAt);
    const [proposal, claim] = await inOneBlock(f, [
      () =>
        f.splitter.write.proposeRoot([trees[2].root as Hex, CONTENT, 3, totalsOf(epoch(3n))], {
          account: f.poster.account,
          ...GAS,
        }),
      () =>
        f.splitter.write.claim([alice, f.token.address, fetched.amount, fetched.proof], {
          account: f.alice.account,
          ...GAS,
        }),
    ]);
    expect([proposal.status, claim.status]).to.deep.equal(["success", "success"]);
    expect(await f.token.read.balanceOf([alice])).to.equal(100n);
    // The rest comes with epoch 2's proof; the old proof pays nothing twice.
    const now2 = leafOf(trees[1], alice, f.token.address);
    await f.splitter.write.claim([alice, f.token.address, now2.amount, now2.proof]);
    expect(await f.token.read.balanceOf([alice])).to.equal(200n);
    await expectRevert(
      f.splitter.write.claim([alice, f.token.address, fetched.amount, fetched.proof]),
      f.abi,
      "RoyaltySplitterNothingToClaim",
      [alice, f.token.address, 100n, 200n],
    );
  });

  it("front-run claimTo: someone claims first, and the account's later pre-signed authorisation still works", async () => {
    const f = await loadFixture(deploySplitterFixture);
    await depositFrom(f, f.token.address, 10_000n);
    const [alice, carol] = [f.alice.account.address, f.carol.account.address];
    const epoch = (n: bigint): Leaf[] => [
      [alice, f.token.address, 100n * n],
      [f.bob.account.address, f.token.address, 10n * n],
    ];
    const [t1, t2] = [1n, 2n].map((n) => buildTree(epoch(n)));
    await postRoot(f, t1, epoch(1n), 1);
    const deadline = BigInt(await time.latest()) + 10n * BigInt(TIMELOCK);
    // Alice pre-signs two authorisations to Carol: epoch 1's cumulative and epoch 2's.
    const signed = await Promise.all(
      [100n, 200n].map((cumulativeAmount) =>
        signClaimTo(f, f.alice, {
          account: alice,
          token: f.token.address,
          cumulativeAmount,
          recipient: carol,
          deadline,
        }),
      ),
    );
    const l1 = leafOf(t1, alice, f.token.address);
    // A griefer sees the relayer's claimTo and lands a plain claim first in the same block.
    const [grief, redirected] = await inOneBlock(f, [
      () =>
        f.splitter.write.claim([alice, f.token.address, l1.amount, l1.proof], { account: f.outsider.account, ...GAS }),
      () =>
        f.splitter.write.claimTo([alice, f.token.address, l1.amount, l1.proof, carol, deadline, signed[0]], {
          account: f.relayer.account,
          ...GAS,
        }),
    ]);
    expect([grief.status, redirected.status]).to.deep.equal(["success", "reverted"]);
    expect(await f.token.read.balanceOf([alice])).to.equal(100n); // the griefer only paid Alice herself
    await postRoot(f, t2, epoch(2n), 2);
    const l2 = leafOf(t2, alice, f.token.address);
    await f.splitter.write.claimTo([alice, f.token.address, l2.amount, l2.proof, carol, deadline, signed[1]], {
      account: f.relayer.account,
    });
    expect(await f.token.read.balanceOf([carol])).to.equal(100n);
  });

  it("return bomb: a payee answering with a huge buffer neither costs the splitter its copy nor reverts a batch", async () => {
    const f = await loadFixture(deploySplitterFixture);
    const bomb = await hre.viem.deployContract("MockReturnBomb", [400_000n]);
    await depositFrom(f, NATIVE, 3_000n);
    const leaves: Leaf[] = [
      [bomb.address, NATIVE, 1_000n],
      [f.alice.account.address, NATIVE, 2_000n],
    ];
    const tree = buildTree(leaves);
    await postRoot(f, tree, leaves, 1);
    const entry = (a: Address) => {
      const { amount, proof } = leafOf(tree, a, NATIVE);
      return { account: a, token: NATIVE, cumulativeAmount: amount, proof };
    };
    // What the bomb costs itself: one plain payment to it, from an EOA, in the same state.
    const own = await f.publicClient.estimateGas({ account: f.relayer.account, to: bomb.address, value: 1n });
    const aliceBefore = await f.publicClient.getBalance({ address: f.alice.account.address });
    // A relayer batches both with a budget of the bomb's own cost plus 150,000: a payer that copied the return
    // data would need the bomb's memory cost a second time and run out of gas.
    const hash = await f.splitter.write.claimBatch([[entry(bomb.address), entry(f.alice.account.address)]], {
      account: f.relayer.account,
      gas: own + 150_000n,
    });
    const receipt = await f.publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).to.equal("success");
    expect(await f.publicClient.getBalance({ address: bomb.address })).to.equal(1_000n);
    expect((await f.publicClient.getBalance({ address: f.alice.account.address })) - aliceBefore).to.equal(2_000n);
    expect(receipt.gasUsed < own + 150_000n).to.equal(true);
  });
});
