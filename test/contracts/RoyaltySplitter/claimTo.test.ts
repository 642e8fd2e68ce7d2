import hre from "hardhat";
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { getAddress } from "viem";
import {
  buildTree,
  deploySplitterFixture,
  depositFrom,
  expectRevert,
  leafOf,
  postRoot,
  receiptOf,
  signClaimTo,
  type Leaf,
} from "./helpers";

async function claimToFixture() {
  const f = await deploySplitterFixture();
  const wallet = await hre.viem.deployContract("MockERC1271Wallet", [f.alice.account.address]);
  await depositFrom(f, f.token.address, 10_000n);
  const leaves: Leaf[] = [
    [f.alice.account.address, f.token.address, 1_000n],
    [wallet.address, f.token.address, 2_000n],
    [f.bob.account.address, f.token.address, 3_000n],
  ];
  const tree = buildTree(leaves);
  await postRoot(f, tree, leaves, 1);
  const chainId = await f.publicClient.getChainId();
  return { ...f, wallet, tree, chainId };
}

type Fixture = Awaited<ReturnType<typeof claimToFixture>>;

async function deadlineIn(f: Fixture, seconds: number): Promise<bigint> {
  return BigInt((await f.publicClient.getBlock()).timestamp) + BigInt(seconds);
}

describe("RoyaltySplitter claimTo", () => {
  it("pays an EOA account's leaf to the recipient it signed for, once", async () => {
    const f = await loadFixture(claimToFixture);
    const account = f.alice.account.address;
    const { amount, proof } = leafOf(f.tree, account, f.token.address);
    const deadline = await deadlineIn(f, 3600);
    const recipient = f.carol.account.address;
    const sig = await signClaimTo(f, f.alice, {
      account,
      token: f.token.address,
      cumulativeAmount: amount,
      recipient,
      deadline,
    });
    const hash = await f.splitter.write.claimTo([account, f.token.address, amount, proof, recipient, deadline, sig], {
      account: f.relayer.account,
    });
    expect(await f.token.read.balanceOf([recipient])).to.equal(1_000n);
    expect(await f.token.read.balanceOf([account])).to.equal(0n);
    const blockHash = (await receiptOf(f, hash)).blockHash;
    const [redirected] = await f.splitter.getEvents.ClaimRedirected({}, { blockHash });
    expect(redirected.args).to.deep.equal({
      account: getAddress(account),
      token: getAddress(f.token.address),
      recipient: getAddress(recipient),
    });
    expect((await f.splitter.getEvents.Claimed({}, { blockHash }))[0].args.cumulativeAmount).to.equal(1_000n);
    // Replay: the signature still matches, but the cumulative amount is claimed, so nothing more is paid.
    await expectRevert(
      f.splitter.write.claimTo([account, f.token.address, amount, proof, recipient, deadline, sig]),
      f.abi,
      "RoyaltySplitterNothingToClaim",
      [account, f.token.address, amount, amount],
    );
    expect(await f.token.read.balanceOf([recipient])).to.equal(1_000n);
  });

  it("rejects an expired signature, a signature by someone else, and a zero or splitter recipient", async () => {
    const f = await loadFixture(claimToFixture);
    const account = f.alice.account.address;
    const { amount, proof } = leafOf(f.tree, account, f.token.address);
    const recipient = f.carol.account.address;
    const deadline = await deadlineIn(f, 60);
    const sig = await signClaimTo(f, f.alice, {
      account,
      token: f.token.address,
      cumulativeAmount: amount,
      recipient,
      deadline,
    });
    const forged = await signClaimTo(f, f.bob, {
      account,
      token: f.token.address,
      cumulativeAmount: amount,
      recipient,
      deadline,
    });
    await expectRevert(
      f.splitter.write.claimTo([account, f.token.address, amount, proof, recipient, deadline, forged]),
      f.abi,
      "RoyaltySplitterInvalidSignature",
      [account],
    );
    await expectRevert(
      f.splitter.write.claimTo([
        account,
        f.token.address,
        amount,
        proof,
        "0x0000000000000000000000000000000000000000",
        deadline,
        sig,
      ]),
      f.abi,
      "RoyaltySplitterInvalidRecipient",
      ["0x0000000000000000000000000000000000000000"],
    );
    // The splitter as recipient would burn the amount (it stays in the contract, booked as claimed).
    const toSplitter = await signClaimTo(f, f.alice, {
      account,
      token: f.token.address,
      cumulativeAmount: amount,
      recipient: f.splitter.address,
      deadline,
    });
    await expectRevert(
      f.splitter.write.claimTo([account, f.token.address, amount, proof, f.splitter.address, deadline, toSplitter]),
      f.abi,
      "RoyaltySplitterInvalidRecipient",
      [f.splitter.address],
    );
    // A signature for another recipient does not transfer to this one.
    await expectRevert(
      f.splitter.write.claimTo([account, f.token.address, amount, proof, f.bob.account.address, deadline, sig]),
      f.abi,
      "RoyaltySplitterInvalidSignature",
      [account],
    );
    await time.increase(61);
    await expectRevert(
      f.splitter.write.claimTo([account, f.token.address, amount, proof, recipient, deadline, sig]),
      f.abi,
      "RoyaltySplitterSignatureExpired",
      [deadline],
    );
  });

  it("accepts an ERC-1271 smart wallet's signature, once, and rejects one its owner did not make", async () => {
    const f = await loadFixture(claimToFixture);
    const account = f.wallet.address;
    const { amount, proof } = leafOf(f.tree, account, f.token.address);
    const recipient = f.carol.account.address;
    const deadline = await deadlineIn(f, 3600);
    const message = { account, token: f.token.address, cumulativeAmount: amount, recipient, deadline };
    const bySomeoneElse = await signClaimTo(f, f.bob, message);
    await expectRevert(
      f.splitter.write.claimTo([account, f.token.address, amount, proof, recipient, deadline, bySomeoneElse]),
      f.abi,
      "RoyaltySplitterInvalidSignature",
      [account],
    );
    const byOwner = await signClaimTo(f, f.alice, message);
    await f.splitter.write.claimTo([account, f.token.address, amount, proof, recipient, deadline, byOwner]);
    expect(await f.token.read.balanceOf([recipient])).to.equal(2_000n);
    await expectRevert(
      f.splitter.write.claimTo([account, f.token.address, amount, proof, recipient, deadline, byOwner]),
      f.abi,
      "RoyaltySplitterNothingToClaim",
      [account, f.token.address, amount, amount],
    );
  });

  it("lets an account withdraw an unused authorisation by claiming the amount itself", async () => {
    const f = await loadFixture(claimToFixture);
    const account = f.bob.account.address;
    const { amount, proof } = leafOf(f.tree, account, f.token.address);
    const deadline = await deadlineIn(f, 3600);
    const recipient = f.carol.account.address;
    const sig = await signClaimTo(f, f.bob, {
      account,
      token: f.token.address,
      cumulativeAmount: amount,
      recipient,
      deadline,
    });
    await f.splitter.write.claim([account, f.token.address, amount, proof], { account: f.bob.account });
    await expectRevert(
      f.splitter.write.claimTo([account, f.token.address, amount, proof, recipient, deadline, sig]),
      f.abi,
      "RoyaltySplitterNothingToClaim",
      [account, f.token.address, amount, amount],
    );
    expect(await f.token.read.balanceOf([account])).to.equal(3_000n);
    expect(await f.token.read.balanceOf([recipient])).to.equal(0n);
  });

  it("still requires a valid proof and something to claim", async () => {
    const f = await loadFixture(claimToFixture);
    const account = f.alice.account.address;
    const { amount, proof } = leafOf(f.tree, account, f.token.address);
    const deadline = await deadlineIn(f, 3600);
    const recipient = f.carol.account.address;
    const tooMuch = await signClaimTo(f, f.alice, {
      account,
      token: f.token.address,
      cumulativeAmount: amount + 1n,
      recipient,
      deadline,
    });
    await expectRevert(
      f.splitter.write.claimTo([account, f.token.address, amount + 1n, proof, recipient, deadline, tooMuch]),
      f.abi,
      "RoyaltySplitterInvalidProof",
      [account, f.token.address, amount + 1n],
    );
    await f.splitter.write.claim([account, f.token.address, amount, proof]);
    const sig = await signClaimTo(f, f.alice, {
      account,
      token: f.token.address,
      cumulativeAmount: amount,
      recipient,
      deadline,
    });
    await expectRevert(
      f.splitter.write.claimTo([account, f.token.address, amount, proof, recipient, deadline, sig]),
      f.abi,
      "RoyaltySplitterNothingToClaim",
      [account, f.token.address, amount, amount],
    );
  });
});
