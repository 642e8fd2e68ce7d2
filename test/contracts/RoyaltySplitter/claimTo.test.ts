import hre from "hardhat";
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { getAddress, type Address, type Hex, type WalletClient } from "viem";
import {
  buildTree,
  deploySplitterFixture,
  depositFrom,
  expectRevert,
  leafOf,
  postRoot,
  receiptOf,
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

/** EIP-712 ClaimTo signature by `signer` (for a smart wallet, its owner signs the digest). */
async function signClaimTo(
  f: Fixture,
  signer: WalletClient,
  message: {
    account: Address;
    token: Address;
    cumulativeAmount: bigint;
    recipient: Address;
    nonce: bigint;
    deadline: bigint;
  },
): Promise<Hex> {
  return signer.signTypedData({
    account: signer.account!,
    domain: { name: "RoyaltySplitter", version: "1", chainId: f.chainId, verifyingContract: f.splitter.address },
    types: {
      ClaimTo: [
        { name: "account", type: "address" },
        { name: "token", type: "address" },
        { name: "cumulativeAmount", type: "uint256" },
        { name: "recipient", type: "address" },
        { name: "nonce", type: "uint256" },
        { name: "deadline", type: "uint256" },
      ],
    },
    primaryType: "ClaimTo",
    message,
  });
}

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
      nonce: 0n,
      deadline,
    });
    const hash = await f.splitter.write.claimTo([account, f.token.address, amount, proof, recipient, deadline, sig], {
      account: f.relayer.account,
    });
    expect(await f.token.read.balanceOf([recipient])).to.equal(1_000n);
    expect(await f.token.read.balanceOf([account])).to.equal(0n);
    expect(await f.splitter.read.nonces([account])).to.equal(1n);
    const blockHash = (await receiptOf(f, hash)).blockHash;
    const [redirected] = await f.splitter.getEvents.ClaimRedirected({}, { blockHash });
    expect(redirected.args).to.deep.equal({
      account: getAddress(account),
      token: getAddress(f.token.address),
      recipient: getAddress(recipient),
    });
    expect((await f.splitter.getEvents.Claimed({}, { blockHash }))[0].args.amount).to.equal(1_000n);
    // Replay: the nonce was consumed, so the digest differs and the signature no longer matches.
    await expectRevert(
      f.splitter.write.claimTo([account, f.token.address, amount, proof, recipient, deadline, sig]),
      f.abi,
      "RoyaltySplitterInvalidSignature",
      [account],
    );
  });

  it("rejects an expired signature, a signature by someone else and a zero recipient", async () => {
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
      nonce: 0n,
      deadline,
    });
    const forged = await signClaimTo(f, f.bob, {
      account,
      token: f.token.address,
      cumulativeAmount: amount,
      recipient,
      nonce: 0n,
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
      "RoyaltySplitterZeroAddress",
      [],
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
    const message = { account, token: f.token.address, cumulativeAmount: amount, recipient, nonce: 0n, deadline };
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
      "RoyaltySplitterInvalidSignature",
      [account],
    );
  });

  it("lets an account cancel an unused signature by burning its nonce", async () => {
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
      nonce: 0n,
      deadline,
    });
    const hash = await f.splitter.write.invalidateNonce({ account: f.bob.account });
    const [event] = await f.splitter.getEvents.NonceInvalidated(
      {},
      { blockHash: (await receiptOf(f, hash)).blockHash },
    );
    expect(event.args).to.deep.equal({ account: getAddress(account), nonce: 0n });
    await expectRevert(
      f.splitter.write.claimTo([account, f.token.address, amount, proof, recipient, deadline, sig]),
      f.abi,
      "RoyaltySplitterInvalidSignature",
      [account],
    );
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
      nonce: 0n,
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
      nonce: 0n,
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
