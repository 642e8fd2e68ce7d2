import hre from "hardhat";
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { encodeFunctionData, getAddress, type Address } from "viem";
import {
  buildTree,
  deploySplitterFixture,
  depositFrom,
  expectRevert,
  leafOf,
  NATIVE,
  postRoot,
  receiptOf,
  TIMELOCK,
  type Leaf,
  type SplitterFixture,
} from "./helpers";

async function claimsFixture() {
  const f = await deploySplitterFixture();
  await depositFrom(f, f.token.address, 1_000_000n);
  await depositFrom(f, f.token2.address, 1_000_000n);
  await depositFrom(f, NATIVE, 10n ** 18n);
  const leaves: Leaf[] = [
    [f.alice.account.address, f.token.address, 100n],
    [f.alice.account.address, f.token2.address, 200n],
    [f.alice.account.address, NATIVE, 3n * 10n ** 17n],
    [f.bob.account.address, f.token.address, 300n],
    [f.carol.account.address, f.token.address, 400n],
  ];
  const tree = buildTree(leaves);
  await postRoot(f, tree, leaves, 1);
  return { ...f, leaves, tree };
}

type ClaimsFixture = Awaited<ReturnType<typeof claimsFixture>>;

function claimArgs(
  f: ClaimsFixture | (SplitterFixture & { tree: ReturnType<typeof buildTree> }),
  account: Address,
  token: Address,
) {
  const { amount, proof } = leafOf(f.tree, account, token);
  return [account, token, amount, proof] as const;
}

describe("RoyaltySplitter claims", () => {
  it("pays the leaf's cumulative amount to the account when anyone submits it, and emits Claimed", async () => {
    const f = await loadFixture(claimsFixture);
    const hash = await f.splitter.write.claim(claimArgs(f, f.alice.account.address, f.token.address), {
      account: f.relayer.account,
    });
    expect(await f.token.read.balanceOf([f.alice.account.address])).to.equal(100n);
    expect(await f.token.read.balanceOf([f.relayer.account.address])).to.equal(0n);
    expect(await f.splitter.read.claimed([f.alice.account.address, f.token.address])).to.equal(100n);
    const [event] = await f.splitter.getEvents.Claimed({}, { blockHash: (await receiptOf(f, hash)).blockHash });
    expect(event.args).to.deep.equal({
      account: getAddress(f.alice.account.address),
      token: getAddress(f.token.address),
      cumulativeAmount: 100n,
    });
  });

  it("refuses to pay the same cumulative amount twice", async () => {
    const f = await loadFixture(claimsFixture);
    const args = claimArgs(f, f.bob.account.address, f.token.address);
    await f.splitter.write.claim(args, { account: f.relayer.account });
    await expectRevert(
      f.splitter.write.claim(args, { account: f.bob.account }),
      f.abi,
      "RoyaltySplitterNothingToClaim",
      [f.bob.account.address, f.token.address, 300n, 300n],
    );
    expect(await f.token.read.balanceOf([f.bob.account.address])).to.equal(300n);
  });

  it("pays only the difference after a root with a higher cumulative amount matures", async () => {
    const f = await loadFixture(claimsFixture);
    await f.splitter.write.claim(claimArgs(f, f.bob.account.address, f.token.address), { account: f.relayer.account });
    const next: Leaf[] = f.leaves.map(([a, t, v]) => [a, t, v + 50n]);
    const tree2 = buildTree(next);
    await postRoot(f, tree2, next, 2);
    const { amount, proof } = leafOf(tree2, f.bob.account.address, f.token.address);
    const hash = await f.splitter.write.claim([f.bob.account.address, f.token.address, amount, proof], {
      account: f.relayer.account,
    });
    expect(await f.token.read.balanceOf([f.bob.account.address])).to.equal(350n);
    const [event] = await f.splitter.getEvents.Claimed({}, { blockHash: (await receiptOf(f, hash)).blockHash });
    expect(event.args.cumulativeAmount).to.equal(350n);
  });

  it("uses the active root while a newer root matures, and only the newer one after it matured", async () => {
    const f = await loadFixture(claimsFixture);
    await time.increase(1);
    const next: Leaf[] = f.leaves.map(([a, t, v]) => [a, t, v + 50n]);
    const tree2 = buildTree(next);
    await postRoot(f, tree2, next, 2, false);
    const newer = leafOf(tree2, f.carol.account.address, f.token.address);
    await expectRevert(
      f.splitter.write.claim([f.carol.account.address, f.token.address, newer.amount, newer.proof]),
      f.abi,
      "RoyaltySplitterInvalidProof",
      [f.carol.account.address, f.token.address, 450n],
    );
    // Old root, full-root comparison path.
    await f.splitter.write.claim(claimArgs(f, f.carol.account.address, f.token.address));
    expect(await f.token.read.balanceOf([f.carol.account.address])).to.equal(400n);
    await time.increase(TIMELOCK);
    // Matured root, prefix comparison path; the old root's proofs still verify for CLAIM_GRACE (no race).
    await f.splitter.write.claim(claimArgs(f, f.bob.account.address, f.token.address));
    expect(await f.token.read.balanceOf([f.bob.account.address])).to.equal(300n);
    await time.increase(3_600);
    // After the grace period the old root's proofs no longer verify.
    await expectRevert(
      f.splitter.write.claim(claimArgs(f, f.alice.account.address, f.token.address)),
      f.abi,
      "RoyaltySplitterInvalidProof",
      [f.alice.account.address, f.token.address, claimArgs(f, f.alice.account.address, f.token.address)[2]],
    );
    await f.splitter.write.claim([f.carol.account.address, f.token.address, newer.amount, newer.proof]);
    expect(await f.token.read.balanceOf([f.carol.account.address])).to.equal(450n);
  });

  it("rejects a proof of a different amount, account or token", async () => {
    const f = await loadFixture(claimsFixture);
    const [account, token, amount, proof] = claimArgs(f, f.alice.account.address, f.token.address);
    await expectRevert(
      f.splitter.write.claim([account, token, amount + 1n, proof]),
      f.abi,
      "RoyaltySplitterInvalidProof",
      [account, token, amount + 1n],
    );
    await expectRevert(
      f.splitter.write.claim([f.bob.account.address, token, amount, proof]),
      f.abi,
      "RoyaltySplitterInvalidProof",
      [f.bob.account.address, token, amount],
    );
    await expectRevert(
      f.splitter.write.claim([account, f.token2.address, amount, proof]),
      f.abi,
      "RoyaltySplitterInvalidProof",
      [account, f.token2.address, amount],
    );
  });

  it("rejects claims before any root is claimable, and while paused", async () => {
    const f = await loadFixture(deploySplitterFixture);
    await expectRevert(
      f.splitter.write.claim([f.alice.account.address, f.token.address, 1n, []]),
      f.abi,
      "RoyaltySplitterNoClaimableRoot",
      [],
    );
    const g = await loadFixture(claimsFixture);
    await g.splitter.write.pause({ account: g.guardian.account });
    await expectRevert(
      g.splitter.write.claim(claimArgs(g, g.alice.account.address, g.token.address)),
      g.abi,
      "RoyaltySplitterPaused",
      [],
    );
    await expectRevert(g.splitter.write.claimBatch([[]]), g.abi, "RoyaltySplitterPaused", []);
    await g.splitter.write.unpause({ account: g.admin.account });
    await g.splitter.write.claim(claimArgs(g, g.alice.account.address, g.token.address));
  });

  it("pays native ETH leaves in ETH", async () => {
    const f = await loadFixture(claimsFixture);
    const before = await f.publicClient.getBalance({ address: f.alice.account.address });
    await f.splitter.write.claim(claimArgs(f, f.alice.account.address, NATIVE), { account: f.relayer.account });
    expect(await f.publicClient.getBalance({ address: f.alice.account.address })).to.equal(before + 3n * 10n ** 17n);
  });

  it("reverts with the recipient when a native ETH payout is refused", async () => {
    const f = await loadFixture(deploySplitterFixture);
    const wallet = await hre.viem.deployContract("MockERC1271Wallet", [f.alice.account.address]);
    await depositFrom(f, NATIVE, 1_000n);
    const leaves: Leaf[] = [
      [wallet.address, NATIVE, 700n],
      [f.bob.account.address, NATIVE, 300n],
    ];
    const tree = buildTree(leaves);
    await postRoot(f, tree, leaves, 1);
    const { amount, proof } = leafOf(tree, wallet.address, NATIVE);
    await expectRevert(
      f.splitter.write.claim([wallet.address, NATIVE, amount, proof]),
      f.abi,
      "RoyaltySplitterNativeTransferFailed",
      [wallet.address, 700n],
    );
  });

  it("claims several tokens and accounts in one batch, skipping entries already claimed", async () => {
    const f = await loadFixture(claimsFixture);
    await f.splitter.write.claim(claimArgs(f, f.bob.account.address, f.token.address));
    const request = (account: Address, token: Address) => {
      const { amount, proof } = leafOf(f.tree, account, token);
      return { account, token, cumulativeAmount: amount, proof };
    };
    const hash = await f.splitter.write.claimBatch(
      [
        [
          request(f.alice.account.address, f.token.address),
          request(f.alice.account.address, f.token2.address),
          request(f.alice.account.address, NATIVE),
          request(f.bob.account.address, f.token.address), // already claimed: skipped
          request(f.carol.account.address, f.token.address),
        ],
      ],
      { account: f.relayer.account },
    );
    expect(await f.token.read.balanceOf([f.alice.account.address])).to.equal(100n);
    expect(await f.token2.read.balanceOf([f.alice.account.address])).to.equal(200n);
    expect(await f.token.read.balanceOf([f.bob.account.address])).to.equal(300n);
    expect(await f.token.read.balanceOf([f.carol.account.address])).to.equal(400n);
    const events = await f.splitter.getEvents.Claimed({}, { blockHash: (await receiptOf(f, hash)).blockHash });
    expect(events).to.have.length(4);
    // A bad proof anywhere reverts the whole batch.
    const bad = { ...request(f.alice.account.address, f.token.address), cumulativeAmount: 101n };
    await expectRevert(f.splitter.write.claimBatch([[bad]]), f.abi, "RoyaltySplitterInvalidProof", [
      f.alice.account.address,
      f.token.address,
      101n,
    ]);
  });

  it("pays each leaf exactly once when a malicious token re-enters claim during its payout (claims take no lock)", async () => {
    const f = await loadFixture(deploySplitterFixture);
    const evil = await hre.viem.deployContract("MockReentrantERC20");
    await f.splitter.write.setTokenAllowed([evil.address, true], { account: f.admin.account });
    await evil.write.mint([f.buyer.account.address, 1_000n]);
    await evil.write.approve([f.splitter.address, 1_000n], { account: f.buyer.account });
    await f.splitter.write.deposit([("0x" + "11".repeat(32)) as `0x${string}`, evil.address, 1_000n], {
      account: f.buyer.account,
    });
    const leaves: Leaf[] = [
      [f.alice.account.address, evil.address, 600n],
      [f.bob.account.address, evil.address, 400n],
    ];
    const tree = buildTree(leaves);
    await postRoot(f, tree, leaves, 1);
    const alice = leafOf(tree, f.alice.account.address, evil.address);
    const bob = leafOf(tree, f.bob.account.address, evil.address);
    // Claims are not locked: each one records its cumulative amount before paying (checks-effects-interactions),
    // so a re-entry can only claim some other leaf (or find nothing left of the same one).
    const reenter = encodeFunctionData({
      abi: f.splitter.abi,
      functionName: "claim",
      args: [f.bob.account.address, evil.address, bob.amount, bob.proof],
    });
    await evil.write.arm([f.splitter.address, reenter]);
    await f.splitter.write.claim([f.alice.account.address, evil.address, alice.amount, alice.proof]);
    expect(await evil.read.balanceOf([f.alice.account.address])).to.equal(600n);
    expect(await evil.read.balanceOf([f.bob.account.address])).to.equal(400n);
    expect(await evil.read.balanceOf([f.splitter.address])).to.equal(0n);
  });
});
