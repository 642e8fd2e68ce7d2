/**
 * The v2 trust model: the timelock floor, scheduled (delayed, announced, cancellable) timelock and role changes,
 * several guardians, and the last guardian that cannot leave.
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { getAddress, keccak256, toHex } from "viem";
import { CONTENT, deploySplitterFixture, expectRevert, receiptOf, TIMELOCK } from "./helpers";

describe("RoyaltySplitter trust model (scheduled changes)", () => {
  it("fixes the floor at the deployment's timelock: no schedule below it, none above the maximum", async () => {
    const f = await loadFixture(deploySplitterFixture);
    await expectRevert(
      f.splitter.write.scheduleTimelock([2 * TIMELOCK], { account: f.guardian.account }),
      f.abi,
      "AccessControlUnauthorizedAccount",
      [f.guardian.account.address, await f.splitter.read.DEFAULT_ADMIN_ROLE()],
    );
    expect(await f.splitter.read.TIMELOCK_FLOOR()).to.equal(TIMELOCK);
    await expectRevert(
      f.splitter.write.scheduleTimelock([TIMELOCK - 1], { account: f.admin.account }),
      f.abi,
      "RoyaltySplitterTimelockBelowFloor",
      [TIMELOCK - 1, TIMELOCK],
    );
    await expectRevert(
      f.splitter.write.scheduleTimelock([30 * 86_400 + 1], { account: f.admin.account }),
      f.abi,
      "RoyaltySplitterTimelockTooLong",
      [30 * 86_400 + 1, 30 * 86_400],
    );
  });

  it("applies a timelock change only after the timelock in force when scheduled, announced and executed once", async () => {
    const f = await loadFixture(deploySplitterFixture);
    const id = await f.splitter.read.timelockChangeId([3 * TIMELOCK]);
    const hash = await f.splitter.write.scheduleTimelock([3 * TIMELOCK], { account: f.admin.account });
    const receipt = await receiptOf(f, hash);
    const block = await f.publicClient.getBlock({ blockHash: receipt.blockHash });
    const [event] = await f.splitter.getEvents.TimelockChangeScheduled({}, { blockHash: receipt.blockHash });
    expect(event.args).to.deep.equal({ id, newTimelock: 3 * TIMELOCK, readyAt: block.timestamp + BigInt(TIMELOCK) });
    expect(await f.splitter.read.scheduledAt([id])).to.equal(block.timestamp + BigInt(TIMELOCK));
    await expectRevert(
      f.splitter.write.scheduleTimelock([3 * TIMELOCK], { account: f.admin.account }),
      f.abi,
      "RoyaltySplitterAlreadyScheduled",
      [id],
    );
    await time.setNextBlockTimestamp(block.timestamp + BigInt(TIMELOCK) - 1n);
    await expectRevert(
      f.splitter.write.setTimelock([3 * TIMELOCK], { account: f.admin.account }),
      f.abi,
      "RoyaltySplitterScheduledTooEarly",
      [id, block.timestamp + BigInt(TIMELOCK)],
    );
    await f.splitter.write.setTimelock([3 * TIMELOCK], { account: f.admin.account });
    expect(await f.splitter.read.timelock()).to.equal(3 * TIMELOCK);
    expect(await f.splitter.read.scheduledAt([id])).to.equal(0n);
    await expectRevert(
      f.splitter.write.setTimelock([3 * TIMELOCK], { account: f.admin.account }),
      f.abi,
      "RoyaltySplitterNotScheduled",
      [id],
    );
    // Back down to the floor takes the (longer) timelock now in force.
    await f.splitter.write.scheduleTimelock([TIMELOCK], { account: f.admin.account });
    await time.increase(2 * TIMELOCK);
    await expectRevert(
      f.splitter.write.setTimelock([TIMELOCK], { account: f.admin.account }),
      f.abi,
      "RoyaltySplitterScheduledTooEarly",
      undefined,
    );
    await time.increase(TIMELOCK);
    await f.splitter.write.setTimelock([TIMELOCK], { account: f.admin.account });
    expect(await f.splitter.read.timelock()).to.equal(TIMELOCK);
  });

  it("grants and revokes the poster and guardian roles only through a matured schedule; other callers are refused", async () => {
    const f = await loadFixture(deploySplitterFixture);
    const [poster, guardian, admin] = await Promise.all([
      f.splitter.read.POSTER_ROLE(),
      f.splitter.read.GUARDIAN_ROLE(),
      f.splitter.read.DEFAULT_ADMIN_ROLE(),
    ]);
    const carol = f.carol.account.address;
    await expectRevert(
      f.splitter.write.grantRole([poster, carol], { account: f.admin.account }),
      f.abi,
      "RoyaltySplitterNotScheduled",
      [await f.splitter.read.roleChangeId([poster, carol, true])],
    );
    await expectRevert(
      f.splitter.write.scheduleRoleChange([poster, carol, true], { account: f.guardian.account }),
      f.abi,
      "AccessControlUnauthorizedAccount",
      [f.guardian.account.address, admin],
    );
    await expectRevert(
      f.splitter.write.scheduleRoleChange([admin, carol, true], { account: f.admin.account }),
      f.abi,
      "RoyaltySplitterRoleNotDelayed",
      [admin],
    );
    await expectRevert(
      f.splitter.write.scheduleRoleChange([poster, "0x0000000000000000000000000000000000000000", true], {
        account: f.admin.account,
      }),
      f.abi,
      "RoyaltySplitterZeroAddress",
      [],
    );
    const hash = await f.splitter.write.scheduleRoleChange([guardian, carol, true], { account: f.admin.account });
    const [event] = await f.splitter.getEvents.RoleChangeScheduled(
      {},
      { blockHash: (await receiptOf(f, hash)).blockHash },
    );
    expect(event.args.role).to.equal(guardian);
    expect(event.args.account).to.equal(getAddress(carol));
    expect(event.args.grant).to.equal(true);
    await f.splitter.write.scheduleRoleChange([poster, carol, true], { account: f.admin.account });
    await time.increase(TIMELOCK);
    await expectRevert(
      f.splitter.write.grantRole([guardian, carol], { account: f.outsider.account }),
      f.abi,
      "AccessControlUnauthorizedAccount",
      [f.outsider.account.address, admin],
    );
    await f.splitter.write.grantRole([guardian, carol], { account: f.admin.account });
    await f.splitter.write.grantRole([poster, carol], { account: f.admin.account });
    expect(await f.splitter.read.hasRole([guardian, carol])).to.equal(true);
    expect(await f.splitter.read.hasRole([poster, carol])).to.equal(true);
    expect(await f.splitter.read.guardianCount()).to.equal(2n);
    // Two guardians now: the first can be revoked (after its schedule), and then the last one cannot.
    await f.splitter.write.scheduleRoleChange([guardian, f.guardian.account.address, false], {
      account: f.admin.account,
    });
    await f.splitter.write.scheduleRoleChange([guardian, carol, false], { account: f.admin.account });
    await f.splitter.write.scheduleRoleChange([poster, carol, false], { account: f.admin.account });
    await time.increase(TIMELOCK);
    await f.splitter.write.revokeRole([guardian, f.guardian.account.address], { account: f.admin.account });
    await f.splitter.write.revokeRole([poster, carol], { account: f.admin.account });
    expect(await f.splitter.read.hasRole([poster, carol])).to.equal(false);
    await expectRevert(
      f.splitter.write.revokeRole([guardian, carol], { account: f.admin.account }),
      f.abi,
      "RoyaltySplitterLastGuardian",
      [carol],
    );
    await expectRevert(
      f.splitter.write.renounceRole([guardian, carol], { account: f.carol.account }),
      f.abi,
      "RoyaltySplitterLastGuardian",
      [carol],
    );
    expect(await f.splitter.read.guardianCount()).to.equal(1n);
  });

  it("lets any guardian cancel any scheduled change, with an event; nobody else can", async () => {
    const f = await loadFixture(deploySplitterFixture);
    const poster = await f.splitter.read.POSTER_ROLE();
    const guardian = await f.splitter.read.GUARDIAN_ROLE();
    const id = await f.splitter.read.roleChangeId([poster, f.admin.account.address, true]);
    await f.splitter.write.scheduleRoleChange([poster, f.admin.account.address, true], { account: f.admin.account });
    await expectRevert(
      f.splitter.write.cancelScheduled([id], { account: f.admin.account }),
      f.abi,
      "AccessControlUnauthorizedAccount",
      [f.admin.account.address, guardian],
    );
    const hash = await f.splitter.write.cancelScheduled([id], { account: f.guardian.account });
    const [event] = await f.splitter.getEvents.ScheduledChangeCancelled(
      {},
      { blockHash: (await receiptOf(f, hash)).blockHash },
    );
    expect(event.args).to.deep.equal({ id, guardian: getAddress(f.guardian.account.address) });
    await expectRevert(
      f.splitter.write.cancelScheduled([id], { account: f.guardian.account }),
      f.abi,
      "RoyaltySplitterNotScheduled",
      [id],
    );
    await time.increase(TIMELOCK);
    await expectRevert(
      f.splitter.write.grantRole([poster, f.admin.account.address], { account: f.admin.account }),
      f.abi,
      "RoyaltySplitterNotScheduled",
      [id],
    );
  });

  it("keeps plain AccessControl behaviour for roles it does not delay", async () => {
    const f = await loadFixture(deploySplitterFixture);
    const other = keccak256(toHex("SOME_OTHER_ROLE"));
    // Not delayed, so the base contract decides: the admin may grant and revoke it directly.
    await f.splitter.write.grantRole([other, f.carol.account.address], { account: f.admin.account });
    expect(await f.splitter.read.hasRole([other, f.carol.account.address])).to.equal(true);
    await f.splitter.write.revokeRole([other, f.carol.account.address], { account: f.admin.account });
    expect(await f.splitter.read.hasRole([other, f.carol.account.address])).to.equal(false);
  });

  it("lets the poster propose and a guardian veto while paused; deposits and claims stay stopped", async () => {
    const f = await loadFixture(deploySplitterFixture);
    await f.splitter.write.pause({ account: f.guardian.account });
    await f.splitter.write.proposeRoot([keccak256(toHex("fix")), CONTENT, 1, []], { account: f.poster.account });
    await f.splitter.write.vetoRoot([1], { account: f.guardian.account });
    await f.splitter.write.proposeRoot([keccak256(toHex("fix2")), CONTENT, 2, []], { account: f.poster.account });
    expect((await f.splitter.read.pendingRoot())[1]).to.equal(2);
    await expectRevert(
      f.splitter.write.claim([f.alice.account.address, f.token.address, 1n, []]),
      f.abi,
      "RoyaltySplitterPaused",
      [],
    );
  });
});
