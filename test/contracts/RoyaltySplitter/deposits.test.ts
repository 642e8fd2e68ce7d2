import hre from "hardhat";
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { encodeFunctionData, getAddress, keccak256, parseSignature, toHex, type Address } from "viem";
import { CONTENT, deploySplitterFixture, expectRevert, LICENSE, NATIVE, receiptOf } from "./helpers";

describe("RoyaltySplitter deposits", () => {
  it("credits an ERC-20 deposit, moves the tokens and emits Deposited", async () => {
    const f = await loadFixture(deploySplitterFixture);
    const hash = await f.splitter.write.deposit([LICENSE, f.token.address, 1_000n], { account: f.buyer.account });
    await receiptOf(f, hash);
    expect(await f.splitter.read.totalDeposited([f.token.address])).to.equal(1_000n);
    expect(await f.token.read.balanceOf([f.splitter.address])).to.equal(1_000n);
    const events = await f.splitter.getEvents.Deposited({}, { blockHash: (await receiptOf(f, hash)).blockHash });
    expect(events).to.have.length(1);
    expect(events[0].args).to.deep.equal({
      licenseId: LICENSE,
      payer: getAddress(f.buyer.account.address),
      token: getAddress(f.token.address),
      amount: 1_000n,
    });
  });

  it("credits only what arrived from a fee-on-transfer token", async () => {
    const f = await loadFixture(deploySplitterFixture);
    await f.splitter.write.deposit([LICENSE, f.feeToken.address, 10_000n], { account: f.buyer.account });
    expect(await f.splitter.read.totalDeposited([f.feeToken.address])).to.equal(9_900n);
    expect(await f.feeToken.read.balanceOf([f.splitter.address])).to.equal(9_900n);
    const [event] = await f.splitter.getEvents.Deposited();
    expect(event.args.amount).to.equal(9_900n);
  });

  it("rejects a deposit that credits nothing because the token took everything as a fee", async () => {
    const f = await loadFixture(deploySplitterFixture);
    const greedy = await hre.viem.deployContract("MockFeeOnTransferERC20", [10_000n]);
    await greedy.write.mint([f.buyer.account.address, 1_000n]);
    await greedy.write.approve([f.splitter.address, 1_000n], { account: f.buyer.account });
    await f.splitter.write.setTokenAllowed([greedy.address, true], { account: f.admin.account });
    await expectRevert(
      f.splitter.write.deposit([LICENSE, greedy.address, 1_000n], { account: f.buyer.account }),
      f.abi,
      "RoyaltySplitterZeroAmount",
      [],
    );
  });

  it("credits a native ETH deposit under the sentinel token", async () => {
    const f = await loadFixture(deploySplitterFixture);
    await f.splitter.write.deposit([LICENSE, NATIVE, 5n * 10n ** 18n], {
      account: f.buyer.account,
      value: 5n * 10n ** 18n,
    });
    expect(await f.splitter.read.totalDeposited([NATIVE])).to.equal(5n * 10n ** 18n);
    expect(await f.publicClient.getBalance({ address: f.splitter.address })).to.equal(5n * 10n ** 18n);
    const [event] = await f.splitter.getEvents.Deposited();
    expect(event.args.token).to.equal(NATIVE);
  });

  it("rejects native ETH whose value differs from the amount, and ETH sent with an ERC-20 deposit", async () => {
    const f = await loadFixture(deploySplitterFixture);
    await expectRevert(
      f.splitter.write.deposit([LICENSE, NATIVE, 10n], { account: f.buyer.account, value: 9n }),
      f.abi,
      "RoyaltySplitterValueMismatch",
      [10n, 9n],
    );
    await expectRevert(
      f.splitter.write.deposit([LICENSE, f.token.address, 10n], { account: f.buyer.account, value: 1n }),
      f.abi,
      "RoyaltySplitterValueMismatch",
      [0n, 1n],
    );
  });

  it("rejects zero deposits, ERC-20 and native", async () => {
    const f = await loadFixture(deploySplitterFixture);
    await expectRevert(
      f.splitter.write.deposit([LICENSE, f.token.address, 0n], { account: f.buyer.account }),
      f.abi,
      "RoyaltySplitterZeroAmount",
      [],
    );
    await expectRevert(
      f.splitter.write.deposit([LICENSE, NATIVE, 0n], { account: f.buyer.account }),
      f.abi,
      "RoyaltySplitterZeroAmount",
      [],
    );
  });

  it("rejects tokens that are not allow-listed, including native ETH once removed", async () => {
    const f = await loadFixture(deploySplitterFixture);
    const other = await hre.viem.deployContract("MockERC20", ["Other", "OTH"]);
    await expectRevert(
      f.splitter.write.deposit([LICENSE, other.address, 1n], { account: f.buyer.account }),
      f.abi,
      "RoyaltySplitterTokenNotAllowed",
      [other.address],
    );
    await f.splitter.write.setTokenAllowed([NATIVE, false], { account: f.admin.account });
    await expectRevert(
      f.splitter.write.deposit([LICENSE, NATIVE, 1n], { account: f.buyer.account, value: 1n }),
      f.abi,
      "RoyaltySplitterTokenNotAllowed",
      [NATIVE],
    );
  });

  it("rejects the native sentinel through the permit path, which only pulls ERC-20s", async () => {
    const f = await loadFixture(deploySplitterFixture);
    await expectRevert(
      f.splitter.write.depositWithPermit(
        [LICENSE, NATIVE, 1n, 0n, 27, `0x${"00".repeat(32)}`, `0x${"00".repeat(32)}`],
        {
          account: f.buyer.account,
        },
      ),
      f.abi,
      "RoyaltySplitterTokenNotAllowed",
      [NATIVE],
    );
  });

  it("bounds a token's deposits by the 112-bit width of root totals, so every deposit can be allocated", async () => {
    const f = await loadFixture(deploySplitterFixture);
    const max = 2n ** 112n - 1n;
    await f.token.write.mint([f.buyer.account.address, max]);
    // The fixture's buyer already holds 10^30; up to the bound in total is accepted, one unit more is not.
    await f.splitter.write.deposit([LICENSE, f.token.address, max - 1n], { account: f.buyer.account });
    await f.splitter.write.deposit([LICENSE, f.token.address, 1n], { account: f.buyer.account });
    expect(await f.splitter.read.totalDeposited([f.token.address])).to.equal(max);
    await expectRevert(
      f.splitter.write.deposit([LICENSE, f.token.address, 1n], { account: f.buyer.account }),
      f.abi,
      "RoyaltySplitterAmountTooLarge",
      [f.token.address, max + 1n],
    );
    // A root can allocate all of it.
    await f.splitter.write.proposeRoot(
      [keccak256(toHex("all")), CONTENT, 1, [{ token: f.token.address, total: max }]],
      {
        account: f.poster.account,
      },
    );
    expect(await f.splitter.read.pendingRootTotal([f.token.address])).to.equal(max);
  });

  it("deposits with an EIP-2612 permit in one transaction, from a payer with no allowance", async () => {
    const f = await loadFixture(deploySplitterFixture);
    const payer = f.carol;
    await f.permitToken.write.mint([payer.account.address, 500n]);
    const deadline = BigInt((await f.publicClient.getBlock()).timestamp) + 3600n;
    const signature = await payer.signTypedData({
      domain: {
        name: "Permit Token",
        version: "1",
        chainId: await f.publicClient.getChainId(),
        verifyingContract: f.permitToken.address,
      },
      types: {
        Permit: [
          { name: "owner", type: "address" },
          { name: "spender", type: "address" },
          { name: "value", type: "uint256" },
          { name: "nonce", type: "uint256" },
          { name: "deadline", type: "uint256" },
        ],
      },
      primaryType: "Permit",
      message: { owner: payer.account.address, spender: f.splitter.address, value: 500n, nonce: 0n, deadline },
    });
    const { v, r, s } = parseSignature(signature);
    await f.splitter.write.depositWithPermit([LICENSE, f.permitToken.address, 500n, deadline, Number(v), r, s], {
      account: payer.account,
    });
    expect(await f.splitter.read.totalDeposited([f.permitToken.address])).to.equal(500n);

    // The same permit again fails inside the token (nonce used), but the deposit still goes through
    // when the allowance is there: a front-run permit cannot block the buyer.
    await f.permitToken.write.mint([payer.account.address, 500n]);
    await f.permitToken.write.approve([f.splitter.address, 500n], { account: payer.account });
    await f.splitter.write.depositWithPermit([LICENSE, f.permitToken.address, 500n, deadline, Number(v), r, s], {
      account: payer.account,
    });
    expect(await f.splitter.read.totalDeposited([f.permitToken.address])).to.equal(1_000n);

    // Without allowance, the failed permit leaves the pull to fail in the token.
    await f.permitToken.write.mint([payer.account.address, 1n]);
    await expectRevert(
      f.splitter.write.depositWithPermit([LICENSE, f.permitToken.address, 1n, deadline, Number(v), r, s], {
        account: payer.account,
      }),
      f.abi,
      "ERC20InsufficientAllowance",
      [f.splitter.address, 0n, 1n],
    );
  });

  it("blocks a malicious token from re-entering deposit during its transfer", async () => {
    const f = await loadFixture(deploySplitterFixture);
    const evil = await hre.viem.deployContract("MockReentrantERC20");
    await f.splitter.write.setTokenAllowed([evil.address, true], { account: f.admin.account });
    await evil.write.mint([f.buyer.account.address, 1_000n]);
    await evil.write.approve([f.splitter.address, 1_000n], { account: f.buyer.account });
    const reenter = encodeFunctionData({
      abi: f.splitter.abi,
      functionName: "deposit",
      args: [LICENSE, evil.address as Address, 1n],
    });
    await evil.write.arm([f.splitter.address, reenter]);
    await expectRevert(
      f.splitter.write.deposit([LICENSE, evil.address, 100n], { account: f.buyer.account }),
      f.abi,
      "ReentrancyGuardReentrantCall",
      [],
    );
    expect(await f.splitter.read.totalDeposited([evil.address])).to.equal(0n);
  });

  it("rejects deposits while paused", async () => {
    const f = await loadFixture(deploySplitterFixture);
    await f.splitter.write.pause({ account: f.guardian.account });
    await expectRevert(
      f.splitter.write.deposit([LICENSE, f.token.address, 1n], { account: f.buyer.account }),
      f.abi,
      "RoyaltySplitterPaused",
      [],
    );
    await expectRevert(
      f.splitter.write.depositWithPermit(
        [LICENSE, f.permitToken.address, 1n, 0n, 27, `0x${"00".repeat(32)}`, `0x${"00".repeat(32)}`],
        {
          account: f.buyer.account,
        },
      ),
      f.abi,
      "RoyaltySplitterPaused",
      [],
    );
  });

  it("locks deposits: a token re-entering deposit or depositWithPermit from its transfer reverts the deposit", async () => {
    const f = await loadFixture(deploySplitterFixture);
    const evil = await hre.viem.deployContract("MockReentrantERC20");
    await f.splitter.write.setTokenAllowed([evil.address, true], { account: f.admin.account });
    await evil.write.mint([f.buyer.account.address, 1_000n]);
    await evil.write.approve([f.splitter.address, 1_000n], { account: f.buyer.account });
    const zero32 = `0x${"00".repeat(32)}` as const;
    // The balance-difference credit would count an inner deposit twice, so re-entry must be refused.
    for (const data of [
      encodeFunctionData({ abi: f.splitter.abi, functionName: "deposit", args: [zero32, evil.address, 1n] }),
      encodeFunctionData({
        abi: f.splitter.abi,
        functionName: "depositWithPermit",
        args: [zero32, evil.address, 1n, 0n, 27, zero32, zero32],
      }),
    ]) {
      await evil.write.arm([f.splitter.address, data]);
      await expectRevert(
        f.splitter.write.deposit([LICENSE, evil.address, 10n], { account: f.buyer.account }),
        f.abi,
        "ReentrancyGuardReentrantCall",
        [],
      );
    }
    expect(await f.splitter.read.totalDeposited([evil.address])).to.equal(0n);
  });
});
