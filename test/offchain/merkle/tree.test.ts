import { expect } from "chai";
import fc from "fast-check";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { MerkleTree } from "merkletreejs";
import { keccak256, type Hex } from "viem";
import { MerkleEmptyTreeError, MerkleLeafIndexOutOfRangeError } from "../../../offchain/merkle/errors";
import { LEAF_ENCODING, leafHash, processProof, verifyProof } from "../../../offchain/merkle/leaf";
import { buildMerkleTree } from "../../../offchain/merkle/tree";
import { canonicalizeLeaves } from "../../../offchain/merkle/canonical";
import { hexLeavesToFlat, leafSetArb, pseudoLeaves } from "./arbitraries";

const RUNS = Number(process.env.MERKLE_FUZZ_RUNS ?? 500);
const viemKeccak = (data: Buffer) => Buffer.from(keccak256(data, "bytes"));
const SIZES = [
  ...Array.from({ length: 40 }, (_, i) => i + 1),
  63,
  64,
  65,
  127,
  128,
  129,
  255,
  256,
  257,
  511,
  512,
  513,
  1023,
  1024,
  1025,
  3001,
];

describe("offchain/merkle/tree", () => {
  it("has the same root, layers and proofs as merkletreejs with sortPairs for sizes 1..40, odd sizes and powers of two ±1", async () => {
    for (const n of SIZES) {
      const leaves = pseudoLeaves(n, n);
      const ours = await buildMerkleTree(hexLeavesToFlat(leaves));
      const reference = new MerkleTree(leaves, viemKeccak, { sortPairs: true });
      expect(ours.root, `root of ${n} leaves`).to.equal(reference.getHexRoot());
      expect(
        ours.layers.map((l) => l.length / 32),
        `layer sizes of ${n}`,
      ).to.deep.equal(reference.getLayers().map((l) => l.length));
      for (let i = 0; i < n; i++) {
        expect(ours.proof(i), `proof ${i} of ${n}`).to.deep.equal(reference.getHexProof(leaves[i], i));
        expect(ours.leaf(i)).to.equal(leaves[i]);
      }
    }
  });

  it("matches merkletreejs's proof when looked up by leaf (its usual API), not only by index", async () => {
    const leaves = pseudoLeaves(77, 9);
    const ours = await buildMerkleTree(hexLeavesToFlat(leaves));
    const reference = new MerkleTree(leaves, viemKeccak, { sortPairs: true });
    leaves.forEach((leaf, i) => expect(ours.proof(i)).to.deep.equal(reference.getHexProof(leaf)));
  });

  it("a one-leaf tree's root is the leaf and its proof is empty", async () => {
    const [leaf] = pseudoLeaves(1);
    const tree = await buildMerkleTree(hexLeavesToFlat([leaf]));
    expect(tree.root).to.equal(leaf);
    expect(tree.proof(0)).to.deep.equal([]);
  });

  it("refuses an empty tree with MerkleEmptyTreeError and bad indices with MerkleLeafIndexOutOfRangeError", async () => {
    await buildMerkleTree(new Uint8Array(0)).then(
      () => expect.fail("empty tree was built"),
      (e: unknown) => expect(e).to.be.instanceOf(MerkleEmptyTreeError),
    );
    const tree = await buildMerkleTree(hexLeavesToFlat(pseudoLeaves(5)));
    for (const bad of [-1, 5, 1.5, Number.NaN]) expect(() => tree.proof(bad)).to.throw(MerkleLeafIndexOutOfRangeError);
  });

  it("every proof verifies with StandardMerkleTree.verify and with a viem-computed hash chain (property)", async () => {
    await fc.assert(
      fc.asyncProperty(leafSetArb(1, 40), async (values) => {
        const leaves = canonicalizeLeaves(values);
        const hashes = Array.from({ length: leaves.length }, (_, i) =>
          leafHash({ account: leaves.accounts[i], token: leaves.tokens[i], cumulativeAmount: leaves.amounts[i] }),
        );
        const tree = await buildMerkleTree(hexLeavesToFlat(hashes));
        for (let i = 0; i < leaves.length; i++) {
          const proof = tree.proof(i);
          const value = [leaves.accounts[i], leaves.tokens[i], leaves.amounts[i]];
          expect(StandardMerkleTree.verify(tree.root, [...LEAF_ENCODING], value, proof)).to.equal(true);
          let node: Hex = hashes[i];
          for (const sibling of proof) {
            node =
              BigInt(node) <= BigInt(sibling)
                ? keccak256(`0x${node.slice(2)}${sibling.slice(2)}`)
                : keccak256(`0x${sibling.slice(2)}${node.slice(2)}`);
          }
          expect(node).to.equal(tree.root);
          expect(processProof(hashes[i], proof)).to.equal(tree.root);
          // A wrong amount must not verify.
          const wrong = [leaves.accounts[i], leaves.tokens[i], leaves.amounts[i] ^ 1n];
          expect(StandardMerkleTree.verify(tree.root, [...LEAF_ENCODING], wrong, proof)).to.equal(false);
          expect(
            verifyProof(
              tree.root,
              { account: leaves.accounts[i], token: leaves.tokens[i], cumulativeAmount: leaves.amounts[i] ^ 1n },
              proof,
            ),
          ).to.equal(false);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("stores layers as flat byte buffers that halve (rounding up) to a single root", async () => {
    const tree = await buildMerkleTree(hexLeavesToFlat(pseudoLeaves(1000)));
    expect(tree.layers.every((l) => l instanceof Uint8Array)).to.equal(true);
    expect(tree.layers.map((l) => l.length / 32)).to.deep.equal([1000, 500, 250, 125, 63, 32, 16, 8, 4, 2, 1]);
    expect(tree.proof(999).length).to.be.lessThanOrEqual(10);
  });
});
