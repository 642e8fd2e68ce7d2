import hre from "hardhat";
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { MerkleTree } from "merkletreejs";
import { encodeAbiParameters, getAddress, keccak256, toHex, type Address, type Hex } from "viem";

async function harnessFixture() {
  return { harness: await hre.viem.deployContract("ClaimProofHarness") };
}

/** Deterministic bytes so a failure replays. */
const word = (i: number): Hex => keccak256(toHex(`claim-proof:${i}`));
const address = (i: number): Address => getAddress(word(i).slice(0, 42));

describe("ClaimProof", () => {
  it("hashes leaves exactly like the OpenZeppelin standard leaf, for edge and random values", async () => {
    const { harness } = await loadFixture(harnessFixture);
    const cases: [Address, Address, bigint][] = [
      ["0x0000000000000000000000000000000000000000", "0x0000000000000000000000000000000000000000", 0n],
      ["0xffffffffffffffffffffffffffffffffffffffff", "0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE", 2n ** 256n - 1n],
    ];
    for (let i = 0; i < 30; i++) cases.push([address(i), address(i + 1000), BigInt(word(i + 2000))]);
    for (const [a, t, v] of cases) {
      const expected = StandardMerkleTree.of([[a, t, v]], ["address", "address", "uint256"]).leafHash([a, t, v]);
      expect(await harness.read.leaf([a, t, v])).to.equal(expected);
      expect(await harness.read.referenceLeaf([a, t, v])).to.equal(expected);
    }
  });

  it("computes the same root as OpenZeppelin MerkleProof for valid and tampered proofs of every length 0..20", async () => {
    const { harness } = await loadFixture(harnessFixture);
    for (let n = 0; n <= 20; n++) {
      const proof = Array.from({ length: n }, (_, i) => word(n * 100 + i));
      const leaf = word(n * 100 + 99);
      const reference = await harness.read.referenceProcessProof([proof, leaf]);
      expect(await harness.read.processProof([proof, leaf])).to.equal(reference);
      if (n > 0) {
        const tampered = [...proof];
        tampered[n - 1] = word(9_999);
        expect(await harness.read.processProof([tampered, leaf])).to.not.equal(reference);
      }
    }
  });

  it("hashes a sibling equal to the running hash like OpenZeppelin, at every position of the 4-level unrolling", async () => {
    const { harness } = await loadFixture(harnessFixture);
    const leaf = word(7_777);
    const proof: Hex[] = [];
    for (let n = 1; n <= 9; n++) {
      // The next sibling is the hash so far: both words of the pair are equal.
      proof.push(await harness.read.referenceProcessProof([proof, leaf]));
      const reference = await harness.read.referenceProcessProof([proof, leaf]);
      expect(await harness.read.processProof([proof, leaf])).to.equal(reference);
    }
  });

  it("verifies proofs of both OpenZeppelin StandardMerkleTree and merkletreejs (sortPairs) over the same leaves", async () => {
    const { harness } = await loadFixture(harnessFixture);
    const values: [Address, Address, bigint][] = Array.from({ length: 37 }, (_, i) => [
      address(i),
      address(500 + (i % 3)),
      BigInt(i + 1) * 10n ** 18n,
    ]);
    const oz = StandardMerkleTree.of(values, ["address", "address", "uint256"]);
    const leafHashes = values.map(([a, t, v]) =>
      keccak256(
        keccak256(encodeAbiParameters([{ type: "address" }, { type: "address" }, { type: "uint256" }], [a, t, v])),
      ),
    );
    const mt = new MerkleTree(leafHashes, (x: Buffer) => Buffer.from(keccak256(x).slice(2), "hex"), {
      sortPairs: true,
    });
    const mtRoot = mt.getHexRoot() as Hex;
    for (const [i, [a, t, v]] of oz.entries()) {
      const leaf = await harness.read.leaf([a, t, v]);
      expect(await harness.read.processProof([oz.getProof(i) as Hex[], leaf])).to.equal(oz.root);
    }
    for (const [i, [a, t, v]] of values.entries()) {
      const leaf = await harness.read.leaf([a, t, v]);
      expect(leaf).to.equal(leafHashes[i]);
      expect(await harness.read.processProof([mt.getHexProof(leafHashes[i]) as Hex[], leaf])).to.equal(mtRoot);
    }
  });
});

describe("ClaimProof.processMultiProof", () => {
  const pack = (flags: readonly boolean[]): bigint => flags.reduce((x, f, i) => (f ? x | (1n << BigInt(i)) : x), 0n);
  /** Outcome of a call: the returned root, or the revert's error name. */
  const outcome = async (call: Promise<Hex>): Promise<string> => {
    try {
      return await call;
    } catch (e) {
      const m =
        /reverted with custom error '(\w+)|reverted with panic code (0x\w+)|reverted with reason string|(MerkleProofInvalidMultiproof)/.exec(
          String(e),
        );
      return `revert:${m?.[1] ?? m?.[2] ?? m?.[3] ?? String(e).slice(0, 80)}`;
    }
  };

  it("returns OpenZeppelin's root for multiproofs of every shape that OpenZeppelin's StandardMerkleTree generates", async () => {
    const { harness } = await loadFixture(harnessFixture);
    for (const n of [1, 2, 3, 5, 8, 13]) {
      const values: [Address, Address, bigint][] = Array.from({ length: n }, (_, i) => [
        address(i),
        address(900),
        BigInt(i),
      ]);
      const oz = StandardMerkleTree.of(values, ["address", "address", "uint256"]);
      for (const pick of [[0], [n - 1], [0, n - 1], Array.from({ length: n }, (_, i) => i), [Math.floor(n / 2)]]) {
        const mp = oz.getMultiProof([...new Set(pick)]);
        const leaves = mp.leaves.map((v) => oz.leafHash(v) as Hex);
        const reference = await harness.read.referenceProcessMultiProof([mp.proof as Hex[], mp.proofFlags, leaves]);
        expect(reference).to.equal(oz.root);
        expect(await harness.read.processMultiProof([mp.proof as Hex[], pack(mp.proofFlags), leaves])).to.equal(
          reference,
        );
      }
    }
  });

  it("agrees with OpenZeppelin on random flags, lengths and hashes, and reverts where OpenZeppelin reads a node not computed yet", async () => {
    const { harness } = await loadFixture(harnessFixture);
    let seed = 7;
    const next = (m: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % m;
    let agreed = 0;
    for (let c = 0; c < 150; c++) {
      const leaves = Array.from({ length: next(5) }, (_, i) => word(c * 1000 + i));
      const proof = Array.from({ length: next(5) }, (_, i) => word(c * 1000 + 500 + i));
      // A packed word implies the step count (leaves + proof - 1): bits above it are tested below.
      const steps = Math.max(0, leaves.length + proof.length - 1);
      const flags = Array.from({ length: steps }, () => next(2) === 1);
      const ours = await outcome(harness.read.processMultiProof([proof, pack(flags), leaves]));
      const theirs = await outcome(harness.read.referenceProcessMultiProof([proof, flags, leaves]));
      // Where OpenZeppelin reads a hash slot before writing it (a zero word), ours refuses the proof.
      let queue = leaves.length;
      let readsUnwritten = false;
      for (const f of flags) {
        queue -= f ? 2 : 1;
        if (queue < 0) readsUnwritten = true;
        queue += 1;
      }
      if (readsUnwritten && !theirs.startsWith("revert")) {
        expect(ours).to.equal("revert:MerkleProofInvalidMultiproof");
        continue;
      }
      if (theirs.startsWith("revert")) expect(ours).to.equal("revert:MerkleProofInvalidMultiproof");
      else expect(ours).to.equal(theirs);
      agreed++;
    }
    expect(agreed).to.be.greaterThan(100);
  });

  it("refuses packed flags with bits above the last step or more than 256 steps", async () => {
    const { harness } = await loadFixture(harnessFixture);
    const leaves = [word(1), word(2)];
    expect(await outcome(harness.read.processMultiProof([[], 1n, leaves]))).to.equal(
      await harness.read.referenceProcessMultiProof([[], [true], leaves]),
    );
    expect(await outcome(harness.read.processMultiProof([[], 3n, leaves]))).to.equal(
      "revert:MerkleProofInvalidMultiproof",
    );
    const many = Array.from({ length: 258 }, (_, i) => word(i));
    expect(await outcome(harness.read.processMultiProof([many, 0n, []]))).to.equal(
      "revert:MerkleProofInvalidMultiproof",
    );
    expect(await outcome(harness.read.processMultiProof([[], 0n, []]))).to.equal("revert:MerkleProofInvalidMultiproof");
    expect(await harness.read.processMultiProof([[word(5)], 0n, []])).to.equal(word(5));
  });
});
