import { expect } from "chai";
import fc from "fast-check";
import { processMultiProof } from "@openzeppelin/merkle-tree/dist/core";
import { keccak256, toHex } from "viem";
import { MerkleLeafIndexOutOfRangeError, MerkleMultiProofUnsupportedError } from "../../../offchain/merkle/errors";
import { createKeccakHasher } from "../../../offchain/merkle/leaf";
import { multiProof } from "../../../offchain/merkle/multiproof";
import { buildMerkleTreeSync, type FlatMerkleTree } from "../../../offchain/merkle/tree";

async function treeOf(n: number, salt = 0): Promise<FlatMerkleTree> {
  const bytes = new Uint8Array(n * 32);
  for (let i = 0; i < n; i++) bytes.set(Buffer.from(keccak256(toHex(`mp:${salt}:${i}`)).slice(2), "hex"), 32 * i);
  return buildMerkleTreeSync(bytes, await createKeccakHasher());
}

/** OpenZeppelin's reference verifier (the algorithm of MerkleProof.processMultiProof). */
const ozRoot = (m: ReturnType<typeof multiProof>) =>
  processMultiProof({ leaves: m.leaves, proof: m.proof, proofFlags: m.proofFlags });

describe("offchain/merkle/multiproof", () => {
  it("every multiproof it returns verifies with OpenZeppelin's processMultiProof, on random trees (odd layer sizes included) and index sets (property)", async () => {
    let returned = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 70 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
        fc.nat(1000),
        async (n, raw, salt) => {
          const tree = await treeOf(n, salt);
          const indices = raw.map((x) => x % n);
          try {
            const m = multiProof(tree, indices);
            returned++;
            expect(m.indices).to.deep.equal([...new Set(indices)].sort((a, b) => a - b));
            expect(m.leaves).to.deep.equal(m.indices.map((i) => tree.leaf(i)));
            expect(m.proofFlags.length).to.equal(m.leaves.length + m.proof.length - 1);
            expect(ozRoot(m)).to.equal(tree.root);
          } catch (e) {
            if (!(e instanceof MerkleMultiProofUnsupportedError)) throw e;
            refused++;
            // Only index sets that reach the promoted right edge can be refused.
            expect(Math.max(...indices)).to.be.at.least(2 ** Math.floor(Math.log2(n)));
          }
        },
      ),
      { numRuns: 500 },
    );
    expect(returned).to.be.greaterThan(250);
    expect(refused).to.be.greaterThan(0);
  });

  it("always has a multiproof for leaves inside the tree's largest perfect left subtree, and for any set in a power-of-two tree (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 80 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
        async (n, raw) => {
          const tree = await treeOf(n);
          const perfect = 2 ** Math.floor(Math.log2(n));
          const m = multiProof(
            tree,
            raw.map((x) => x % perfect),
          );
          expect(ozRoot(m)).to.equal(tree.root);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("needs 15 proof hashes for an account's 3 adjacent leaves in a 65,536-leaf tree, against 48 for three single proofs", async () => {
    const tree = await treeOf(65_536);
    const m = multiProof(tree, [3000, 3001, 3002]);
    expect(ozRoot(m)).to.equal(tree.root);
    expect(m.proof).to.have.length(15);
    expect(m.proofFlags).to.have.length(17);
    expect([3000, 3001, 3002].map((i) => tree.proof(i).length)).to.deep.equal([16, 16, 16]);
  });

  it("gives the single-leaf case (no step) and the whole odd tree where the queue order allows it", async () => {
    const one = await treeOf(1);
    expect(multiProof(one, [0])).to.deep.equal({ indices: [0], leaves: [one.root], proof: [], proofFlags: [] });
    const three = await treeOf(3);
    expect(ozRoot(multiProof(three, [2, 0, 1, 1]))).to.equal(three.root);
    // Five leaves: the promoted fifth leaf would have to leave the queue after nodes computed later.
    const five = await treeOf(5);
    expect(() => multiProof(five, [0, 1, 2, 3, 4])).to.throw(MerkleMultiProofUnsupportedError);
  });

  it("refuses empty and out-of-range index sets with typed errors", async () => {
    const tree = await treeOf(4);
    expect(() => multiProof(tree, [])).to.throw(MerkleMultiProofUnsupportedError);
    expect(() => multiProof(tree, [4])).to.throw(MerkleLeafIndexOutOfRangeError);
    expect(() => multiProof(tree, [1.5])).to.throw(MerkleLeafIndexOutOfRangeError);
  });
});
