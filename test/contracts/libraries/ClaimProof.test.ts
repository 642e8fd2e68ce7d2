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

  it("verifies proofs of both OpenZeppelin StandardMerkleTree and merkletreejs (sortPairs) over the same leaves", async () => {
    const { harness } = await loadFixture(harnessFixture);
    const values: [Address, Address, bigint][] = Array.from({ length: 37 }, (_, i) => [address(i), address(500 + (i % 3)), BigInt(i + 1) * 10n ** 18n]);
    const oz = StandardMerkleTree.of(values, ["address", "address", "uint256"]);
    const leafHashes = values.map(([a, t, v]) =>
      keccak256(keccak256(encodeAbiParameters([{ type: "address" }, { type: "address" }, { type: "uint256" }], [a, t, v]))),
    );
    const mt = new MerkleTree(leafHashes, (x: Buffer) => Buffer.from(keccak256(x).slice(2), "hex"), { sortPairs: true });
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
