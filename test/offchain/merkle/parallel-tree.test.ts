import { expect } from "chai";
import fc from "fast-check";
import { MerkleTree } from "merkletreejs";
import { keccak256 } from "viem";
import { canonicalizeLeaves } from "../../../offchain/merkle/canonical";
import { leafHash } from "../../../offchain/merkle/leaf";
import { buildLeafTree } from "../../../offchain/merkle/parallel-tree";
import { leafSetArb } from "./arbitraries";

const viemKeccak = (data: Buffer) => Buffer.from(keccak256(data, "bytes"));

describe("offchain/merkle/parallel-tree", () => {
  it("the two-thread build gives the same layers as the single-thread build and merkletreejs's root and proofs (property)", async () => {
    await fc.assert(
      fc.asyncProperty(leafSetArb(2, 300), async (values) => {
        const leaves = canonicalizeLeaves(values);
        const serial = await buildLeafTree(leaves, { parallelThreshold: Infinity });
        const parallel = await buildLeafTree(leaves, { parallelThreshold: 2 });
        expect(parallel.layers.map((l) => Buffer.from(l).toString("hex"))).to.deep.equal(
          serial.layers.map((l) => Buffer.from(l).toString("hex")),
        );
        const hashes = Array.from({ length: leaves.length }, (_, i) =>
          leafHash({ account: leaves.accounts[i], token: leaves.tokens[i], cumulativeAmount: leaves.amounts[i] }),
        );
        const reference = new MerkleTree(hashes, viemKeccak, { sortPairs: true });
        expect(parallel.root).to.equal(reference.getHexRoot());
        const i = values.length >> 1;
        expect(parallel.proof(i)).to.deep.equal(reference.getHexProof(hashes[i], i));
      }),
      { numRuns: 40 },
    );
  });

  it("splits a 100,003-leaf build across threads with the same root as the single-thread build", async () => {
    const n = 100_003;
    const token = "0x00000000000000000000000000000000000000aa";
    const values = Array.from({ length: n }, (_, i) => ({
      account: `0x${i.toString(16).padStart(40, "0")}` as `0x${string}`,
      token: (i % 2 ? token : "0x00000000000000000000000000000000000000bb") as `0x${string}`,
      cumulativeAmount: BigInt(i) << BigInt(i % 200),
    }));
    const leaves = canonicalizeLeaves(values);
    const serial = await buildLeafTree(leaves, { parallelThreshold: Infinity });
    const parallel = await buildLeafTree(leaves, { parallelThreshold: 2 });
    expect(parallel.root).to.equal(serial.root);
    for (const i of [0, 1, 49_151, 49_152, 50_000, n - 1]) expect(parallel.proof(i)).to.deep.equal(serial.proof(i));
  });
});
