import hre from "hardhat";
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { encodeFunctionData, getAddress, hexToBytes, type Address } from "viem";
import { createKeccakHasher, leafHash } from "../../../offchain/merkle/leaf";
import { multiProof } from "../../../offchain/merkle/multiproof";
import { buildMerkleTreeSync, type FlatMerkleTree } from "../../../offchain/merkle/tree";
import {
  CONTENT,
  deploySplitterFixture,
  depositFrom,
  expectRevert,
  NATIVE,
  receiptOf,
  TIMELOCK,
  totalsOf,
  type Leaf,
  type SplitterFixture,
} from "./helpers";

/** A merkletreejs-shaped tree (offchain/merkle) over `leaves` in the given order. */
async function flatTree(leaves: Leaf[]): Promise<FlatMerkleTree> {
  const bytes = new Uint8Array(leaves.length * 32);
  leaves.forEach(([account, token, cumulativeAmount], i) =>
    bytes.set(hexToBytes(leafHash({ account, token, cumulativeAmount })), 32 * i),
  );
  return buildMerkleTreeSync(bytes, await createKeccakHasher());
}

const pack = (flags: readonly boolean[]): bigint => flags.reduce((x, f, i) => (f ? x | (1n << BigInt(i)) : x), 0n);

async function propose(
  f: SplitterFixture,
  tree: FlatMerkleTree,
  leaves: Leaf[],
  epoch: number,
  mature = true,
): Promise<void> {
  await f.splitter.write.proposeRoot([tree.root, CONTENT, epoch, totalsOf(leaves)], { account: f.poster.account });
  if (mature) await time.increase(TIMELOCK);
}

/** claimMultiproof arguments for the leaves at `indices` (an account's adjacent leaves). */
function multiArgs(tree: FlatMerkleTree, leaves: Leaf[], indices: number[]) {
  const m = multiProof(tree, indices);
  return [
    leaves[m.indices[0]][0],
    m.indices.map((i) => leaves[i][1]),
    m.indices.map((i) => leaves[i][2]),
    m.proof,
    pack(m.proofFlags),
  ] as const;
}

async function multiFixture() {
  const f = await deploySplitterFixture();
  await depositFrom(f, f.token.address, 1_000_000n);
  await depositFrom(f, f.token2.address, 1_000_000n);
  await depositFrom(f, NATIVE, 10n ** 18n);
  const [a, b, c] = [f.alice, f.bob, f.carol].map((w) => w.account.address);
  // (account, token) order: each account's leaves are adjacent. Seven leaves: odd layer sizes.
  const leaves: Leaf[] = [
    [b, f.token.address, 300n],
    [a, f.token.address, 100n],
    [a, f.token2.address, 200n],
    [a, NATIVE, 3n * 10n ** 17n],
    [c, f.token.address, 400n],
    [c, f.token2.address, 500n],
    [f.outsider.account.address, f.token.address, 1n],
  ];
  const tree = await flatTree(leaves);
  await propose(f, tree, leaves, 1);
  return { ...f, leaves, tree };
}

describe("RoyaltySplitter claimMultiproof", () => {
  it("pays each of an account's tokens with one multiproof, to the account, whoever submits it, and emits Claimed per token", async () => {
    const f = await loadFixture(multiFixture);
    const alice = f.alice.account.address;
    const ethBefore = await f.publicClient.getBalance({ address: alice });
    const hash = await f.splitter.write.claimMultiproof(multiArgs(f.tree, f.leaves, [1, 2, 3]), {
      account: f.relayer.account,
    });
    expect(await f.token.read.balanceOf([alice])).to.equal(100n);
    expect(await f.token2.read.balanceOf([alice])).to.equal(200n);
    expect((await f.publicClient.getBalance({ address: alice })) - ethBefore).to.equal(3n * 10n ** 17n);
    expect(await f.splitter.read.claimed([alice, NATIVE])).to.equal(3n * 10n ** 17n);
    const events = await f.splitter.getEvents.Claimed({}, { blockHash: (await receiptOf(f, hash)).blockHash });
    expect(events.map((e) => [e.args.account, e.args.token, e.args.cumulativeAmount])).to.deep.equal([
      [getAddress(alice), getAddress(f.token.address), 100n],
      [getAddress(alice), getAddress(f.token2.address), 200n],
      [getAddress(alice), getAddress(NATIVE), 3n * 10n ** 17n],
    ]);
    // Two leaves of carol that straddle a pair boundary, and a single leaf, work too.
    await f.splitter.write.claimMultiproof(multiArgs(f.tree, f.leaves, [4, 5]));
    expect(await f.token2.read.balanceOf([f.carol.account.address])).to.equal(500n);
    await f.splitter.write.claimMultiproof(multiArgs(f.tree, f.leaves, [0]));
    expect(await f.token.read.balanceOf([f.bob.account.address])).to.equal(300n);
  });

  it("skips tokens with nothing left to claim, like claimBatch, so a front-run claim cannot grief it", async () => {
    const f = await loadFixture(multiFixture);
    const alice = f.alice.account.address;
    await f.splitter.write.claim([alice, f.token2.address, 200n, f.tree.proof(2)]);
    const hash = await f.splitter.write.claimMultiproof(multiArgs(f.tree, f.leaves, [1, 2, 3]));
    const events = await f.splitter.getEvents.Claimed({}, { blockHash: (await receiptOf(f, hash)).blockHash });
    expect(events.map((e) => e.args.token)).to.deep.equal([getAddress(f.token.address), getAddress(NATIVE)]);
    expect(await f.token2.read.balanceOf([alice])).to.equal(200n);
    const again = await f.splitter.write.claimMultiproof(multiArgs(f.tree, f.leaves, [1, 2, 3]));
    expect(await f.splitter.getEvents.Claimed({}, { blockHash: (await receiptOf(f, again)).blockHash })).to.have.length(
      0,
    );
    expect(await f.token.read.balanceOf([alice])).to.equal(100n);
  });

  it("pays only the difference after a higher root, and checks the active full root while a newer root matures", async () => {
    const f = await loadFixture(multiFixture);
    await f.splitter.write.claimMultiproof(multiArgs(f.tree, f.leaves, [4, 5]));
    const higher: Leaf[] = f.leaves.map(([a, t, v]) => [a, t, v + 10n]);
    const tree2 = await flatTree(higher);
    await propose(f, tree2, higher, 2, false);
    // Maturing: the new proof is refused, the old root still answers (nothing left: skipped).
    await expectRevert(
      f.splitter.write.claimMultiproof(multiArgs(tree2, higher, [4, 5])),
      f.abi,
      "RoyaltySplitterInvalidMultiproof",
      [f.carol.account.address],
    );
    await f.splitter.write.claimMultiproof(multiArgs(f.tree, f.leaves, [4, 5]));
    await time.increase(TIMELOCK);
    await f.splitter.write.claimMultiproof(multiArgs(tree2, higher, [4, 5]));
    expect(await f.token.read.balanceOf([f.carol.account.address])).to.equal(410n);
    expect(await f.token2.read.balanceOf([f.carol.account.address])).to.equal(510n);
  });

  it("rejects a multiproof of another amount, token or account with the account", async () => {
    const f = await loadFixture(multiFixture);
    const [account, tokens, amounts, proof, flags] = multiArgs(f.tree, f.leaves, [1, 2, 3]);
    const bob = f.bob.account.address;
    await expectRevert(
      f.splitter.write.claimMultiproof([account, tokens, [100n, 201n, amounts[2]], proof, flags]),
      f.abi,
      "RoyaltySplitterInvalidMultiproof",
      [account],
    );
    await expectRevert(
      f.splitter.write.claimMultiproof([account, [tokens[1], tokens[0], tokens[2]], amounts, proof, flags]),
      f.abi,
      "RoyaltySplitterInvalidMultiproof",
      [account],
    );
    await expectRevert(
      f.splitter.write.claimMultiproof([bob, tokens, amounts, proof, flags]),
      f.abi,
      "RoyaltySplitterInvalidMultiproof",
      [bob],
    );
    // A leaf left out: the proof no longer fits the leaves.
    await expectRevert(
      f.splitter.write.claimMultiproof([account, tokens.slice(0, 2), amounts.slice(0, 2), proof, flags]),
      f.abi,
      "MerkleProofInvalidMultiproof",
      [],
    );
    expect(await f.splitter.read.claimed([account, tokens[0]])).to.equal(0n);
  });

  it("rejects token and amount lists of different lengths, and flags or proofs that do not fit the leaves", async () => {
    const f = await loadFixture(multiFixture);
    const [account, tokens, amounts, proof, flags] = multiArgs(f.tree, f.leaves, [1, 2, 3]);
    await expectRevert(
      f.splitter.write.claimMultiproof([account, tokens, amounts.slice(0, 2), proof, flags]),
      f.abi,
      "RoyaltySplitterLengthMismatch",
      [3n, 2n],
    );
    const steps = BigInt(tokens.length + proof.length - 1);
    await expectRevert(
      f.splitter.write.claimMultiproof([account, tokens, amounts, proof, flags | (1n << steps)]),
      f.abi,
      "MerkleProofInvalidMultiproof",
      [],
    );
    // The step count follows from the lengths: a flag bit above it is refused; a proof hash more is one more step
    // (flag 0) and leads to another root.
    await expectRevert(
      f.splitter.write.claimMultiproof([account, tokens, amounts, [...proof, proof[0]], flags]),
      f.abi,
      "RoyaltySplitterInvalidMultiproof",
      [account],
    );
    // Flipping the first flag makes a later step take a node not computed yet.
    await expectRevert(
      f.splitter.write.claimMultiproof([account, tokens, amounts, proof, flags ^ 1n]),
      f.abi,
      "MerkleProofInvalidMultiproof",
      [],
    );
    // The empty set pays nothing (OpenZeppelin's no-op multiproof).
    const hash = await f.splitter.write.claimMultiproof([account, [], [], [f.tree.root], 0n]);
    expect(await f.splitter.getEvents.Claimed({}, { blockHash: (await receiptOf(f, hash)).blockHash })).to.have.length(
      0,
    );
  });

  it("refuses while paused and before any root is claimable", async () => {
    const f = await loadFixture(multiFixture);
    await f.splitter.write.pause({ account: f.guardian.account });
    await expectRevert(
      f.splitter.write.claimMultiproof(multiArgs(f.tree, f.leaves, [1, 2, 3])),
      f.abi,
      "RoyaltySplitterPaused",
      [],
    );
    const g = await loadFixture(deploySplitterFixture);
    await expectRevert(
      g.splitter.write.claimMultiproof([g.alice.account.address, [], [], [CONTENT], 0n]),
      g.abi,
      "RoyaltySplitterNoClaimableRoot",
      [],
    );
  });

  it("pays each leaf exactly once when a malicious token re-enters claimMultiproof during its payout", async () => {
    const f = await loadFixture(deploySplitterFixture);
    const evil = await hre.viem.deployContract("MockReentrantERC20");
    await f.splitter.write.setTokenAllowed([evil.address, true], { account: f.admin.account });
    await evil.write.mint([f.buyer.account.address, 1_000n]);
    await evil.write.approve([f.splitter.address, 1_000n], { account: f.buyer.account });
    await f.splitter.write.deposit([`0x${"11".repeat(32)}`, evil.address, 1_000n], { account: f.buyer.account });
    await depositFrom(f, f.token.address, 1_000n);
    const alice: Address = f.alice.account.address;
    const leaves: Leaf[] = [
      [alice, evil.address, 600n],
      [alice, f.token.address, 5n],
      [f.bob.account.address, evil.address, 400n],
    ];
    const tree = await flatTree(leaves);
    await propose(f, tree, leaves, 1);
    const reenter = encodeFunctionData({
      abi: f.splitter.abi,
      functionName: "claimMultiproof",
      args: multiArgs(tree, leaves, [2]),
    });
    await evil.write.arm([f.splitter.address, reenter]);
    await f.splitter.write.claimMultiproof(multiArgs(tree, leaves, [0, 1]));
    expect(await evil.read.balanceOf([alice])).to.equal(600n);
    expect(await f.token.read.balanceOf([alice])).to.equal(5n);
    expect(await evil.read.balanceOf([f.bob.account.address])).to.equal(400n);
    expect(await evil.read.balanceOf([f.splitter.address])).to.equal(0n);
    // Re-entering with the account's own leaves while the first is being paid: the first is already recorded, so
    // the inner call pays only the second, and the outer call then skips it.
    const f2 = await loadFixture(deploySplitterFixture);
    const evil2 = await hre.viem.deployContract("MockReentrantERC20");
    await f2.splitter.write.setTokenAllowed([evil2.address, true], { account: f2.admin.account });
    await evil2.write.mint([f2.buyer.account.address, 1_000n]);
    await evil2.write.approve([f2.splitter.address, 1_000n], { account: f2.buyer.account });
    await f2.splitter.write.deposit([`0x${"11".repeat(32)}`, evil2.address, 1_000n], { account: f2.buyer.account });
    await depositFrom(f2, f2.token.address, 1_000n);
    const own: Leaf[] = [
      [alice, evil2.address, 600n],
      [alice, f2.token.address, 5n],
      [f2.bob.account.address, evil2.address, 400n],
    ];
    const ownTree = await flatTree(own);
    await propose(f2, ownTree, own, 1);
    await evil2.write.arm([
      f2.splitter.address,
      encodeFunctionData({
        abi: f2.splitter.abi,
        functionName: "claimMultiproof",
        args: multiArgs(ownTree, own, [0, 1]),
      }),
    ]);
    await f2.splitter.write.claimMultiproof(multiArgs(ownTree, own, [0, 1]));
    expect(await evil2.read.balanceOf([alice])).to.equal(600n);
    expect(await f2.token.read.balanceOf([alice])).to.equal(5n);
    expect(await f2.token.read.balanceOf([f2.splitter.address])).to.equal(995n);
  });
});
