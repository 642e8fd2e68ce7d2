import hre from "hardhat";
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { getAddress, keccak256, toHex, type Abi, type AbiFunction } from "viem";
import { ADMIN_DELAY, CONTENT, deploySplitterFixture, expectRevert, NATIVE, receiptOf, TIMELOCK } from "./helpers";

const ZERO = "0x0000000000000000000000000000000000000000";

describe("RoyaltySplitter administration", () => {
  it("sets up roles, the admin delay and the timelock at deployment, emitting TimelockSet", async () => {
    const f = await loadFixture(deploySplitterFixture);
    expect(await f.splitter.read.defaultAdmin()).to.equal(getAddress(f.admin.account.address));
    expect(await f.splitter.read.defaultAdminDelay()).to.equal(ADMIN_DELAY);
    expect(await f.splitter.read.hasRole([await f.splitter.read.POSTER_ROLE(), f.poster.account.address])).to.equal(
      true,
    );
    expect(await f.splitter.read.hasRole([await f.splitter.read.GUARDIAN_ROLE(), f.guardian.account.address])).to.equal(
      true,
    );
    expect(await f.splitter.read.timelock()).to.equal(TIMELOCK);
    expect(await f.splitter.read.paused()).to.equal(false);
    expect(await f.splitter.read.NATIVE_TOKEN()).to.equal(NATIVE);
    const [event] = await f.splitter.getEvents.TimelockSet({ fromBlock: 0n });
    expect(event.args).to.deep.equal({ previousTimelock: 0, newTimelock: TIMELOCK });
  });

  it("refuses a deployment with a zero poster or guardian, or an over-long timelock", async () => {
    const [admin, poster, guardian] = await hre.viem.getWalletClients();
    const abi = (await hre.artifacts.readArtifact("RoyaltySplitter")).abi;
    await expectRevert(
      hre.viem.deployContract("RoyaltySplitter", [0, admin.account.address, ZERO, guardian.account.address, 0]),
      abi,
      "RoyaltySplitterZeroAddress",
      [],
    );
    await expectRevert(
      hre.viem.deployContract("RoyaltySplitter", [0, admin.account.address, poster.account.address, ZERO, 0]),
      abi,
      "RoyaltySplitterZeroAddress",
      [],
    );
    await expectRevert(
      hre.viem.deployContract("RoyaltySplitter", [
        0,
        admin.account.address,
        poster.account.address,
        guardian.account.address,
        30 * 86_400 + 1,
      ]),
      abi,
      "RoyaltySplitterTimelockTooLong",
      [30 * 86_400 + 1, 30 * 86_400],
    );
  });

  it("lets only the admin change the allow-list and timelock, with events and bounds", async () => {
    const f = await loadFixture(deploySplitterFixture);
    const adminRole = await f.splitter.read.DEFAULT_ADMIN_ROLE();
    const other = "0x1111111111111111111111111111111111111111";
    await expectRevert(
      f.splitter.write.setTokenAllowed([other, true], { account: f.outsider.account }),
      f.abi,
      "AccessControlUnauthorizedAccount",
      [f.outsider.account.address, adminRole],
    );
    await expectRevert(
      f.splitter.write.setTimelock([1], { account: f.guardian.account }),
      f.abi,
      "AccessControlUnauthorizedAccount",
      [f.guardian.account.address, adminRole],
    );
    await expectRevert(
      f.splitter.write.setTokenAllowed([ZERO, true], { account: f.admin.account }),
      f.abi,
      "RoyaltySplitterZeroAddress",
      [],
    );
    let hash = await f.splitter.write.setTokenAllowed([other, true], { account: f.admin.account });
    expect(await f.splitter.read.isTokenAllowed([other])).to.equal(true);
    const [allowed] = await f.splitter.getEvents.TokenAllowedSet(
      {},
      { blockHash: (await receiptOf(f, hash)).blockHash },
    );
    expect(allowed.args).to.deep.equal({ token: getAddress(other), allowed: true });
    await f.splitter.write.setTokenAllowed([other, false], { account: f.admin.account });
    expect(await f.splitter.read.isTokenAllowed([other])).to.equal(false);
    await expectRevert(
      f.splitter.write.scheduleTimelock([30 * 86_400 + 1], { account: f.admin.account }),
      f.abi,
      "RoyaltySplitterTimelockTooLong",
      [30 * 86_400 + 1, 30 * 86_400],
    );
    // Raising the timelock is scheduled like any change; it applies after the timelock in force.
    await f.splitter.write.scheduleTimelock([2 * TIMELOCK], { account: f.admin.account });
    await time.increase(TIMELOCK);
    hash = await f.splitter.write.setTimelock([2 * TIMELOCK], { account: f.admin.account });
    const [set] = await f.splitter.getEvents.TimelockSet({ blockHash: (await receiptOf(f, hash)).blockHash });
    expect(set.args).to.deep.equal({ previousTimelock: TIMELOCK, newTimelock: 2 * TIMELOCK });
    expect(await f.splitter.read.timelock()).to.equal(2 * TIMELOCK);
  });

  it("lets the guardian pause and only the admin unpause, with events; pausing twice or unpausing twice reverts", async () => {
    const f = await loadFixture(deploySplitterFixture);
    const guardianRole = await f.splitter.read.GUARDIAN_ROLE();
    const adminRole = await f.splitter.read.DEFAULT_ADMIN_ROLE();
    await expectRevert(
      f.splitter.write.pause({ account: f.outsider.account }),
      f.abi,
      "AccessControlUnauthorizedAccount",
      [f.outsider.account.address, guardianRole],
    );
    let hash = await f.splitter.write.pause({ account: f.guardian.account });
    expect(await f.splitter.read.paused()).to.equal(true);
    expect(
      (await f.splitter.getEvents.Paused({}, { blockHash: (await receiptOf(f, hash)).blockHash }))[0].args.guardian,
    ).to.equal(getAddress(f.guardian.account.address));
    await expectRevert(f.splitter.write.pause({ account: f.guardian.account }), f.abi, "RoyaltySplitterPaused", []);
    // Proposals go on while paused: that is how a matured bad root is corrected (see recovery.test.ts).
    await f.splitter.write.proposeRoot([keccak256(toHex("r")), CONTENT, 1, []], { account: f.poster.account });
    await expectRevert(
      f.splitter.write.unpause({ account: f.guardian.account }),
      f.abi,
      "AccessControlUnauthorizedAccount",
      [f.guardian.account.address, adminRole],
    );
    hash = await f.splitter.write.unpause({ account: f.admin.account });
    expect(await f.splitter.read.paused()).to.equal(false);
    expect(
      (await f.splitter.getEvents.Unpaused({}, { blockHash: (await receiptOf(f, hash)).blockHash }))[0].args.admin,
    ).to.equal(getAddress(f.admin.account.address));
    await expectRevert(f.splitter.write.unpause({ account: f.admin.account }), f.abi, "RoyaltySplitterNotPaused", []);
  });

  it("transfers the admin role only after the delay (AccessControlDefaultAdminRules)", async () => {
    const f = await loadFixture(deploySplitterFixture);
    await f.splitter.write.beginDefaultAdminTransfer([f.carol.account.address], { account: f.admin.account });
    await expectRevert(
      f.splitter.write.acceptDefaultAdminTransfer({ account: f.carol.account }),
      f.abi,
      "AccessControlEnforcedDefaultAdminDelay",
      undefined,
    );
    await time.increase(ADMIN_DELAY + 1);
    await f.splitter.write.acceptDefaultAdminTransfer({ account: f.carol.account });
    expect(await f.splitter.read.defaultAdmin()).to.equal(getAddress(f.carol.account.address));
  });

  it("has no state-changing function beyond the reviewed list, so no role has a path to the funds", async () => {
    // Funds leave only through claim/claimBatch/claimMultiproof/claimTo (proof-gated, to the leaf's account or its signed
    // recipient); refunds are ordinary leaves. Any new non-view function must be reviewed and added here on purpose.
    const abi = (await hre.artifacts.readArtifact("RoyaltySplitter")).abi as Abi;
    const mutating = abi
      .filter(
        (x): x is AbiFunction => x.type === "function" && x.stateMutability !== "view" && x.stateMutability !== "pure",
      )
      .map((x) => x.name)
      .sort();
    expect(mutating).to.deep.equal(
      [
        "acceptDefaultAdminTransfer",
        "beginDefaultAdminTransfer",
        "cancelDefaultAdminTransfer",
        "changeDefaultAdminDelay",
        "claim",
        "claimBatch",
        "claimMultiproof",
        "claimTo",
        "deposit",
        "depositWithPermit",
        "cancelScheduled",
        "grantRole",
        "pause",
        "proposeRoot",
        "renounceRole",
        "revokeRole",
        "rollbackDefaultAdminDelay",
        "scheduleRoleChange",
        "scheduleTimelock",
        "setTimelock",
        "setTokenAllowed",
        "unpause",
        "vetoRoot",
      ].sort(),
    );
  });

  it("rejects plain ETH transfers that carry no license id", async () => {
    const f = await loadFixture(deploySplitterFixture);
    let failed = false;
    try {
      await f.buyer.sendTransaction({ to: f.splitter.address, value: 1n });
    } catch {
      failed = true;
    }
    expect(failed).to.equal(true);
    expect(await f.publicClient.getBalance({ address: f.splitter.address })).to.equal(0n);
  });
});
