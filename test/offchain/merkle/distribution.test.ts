import { expect } from "chai";
import fc from "fast-check";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { processMultiProof } from "@openzeppelin/merkle-tree/dist/core";
import { getAddress, type Address } from "viem";
import { buildDistribution } from "../../../offchain/merkle/distribution";
import {
  DistributionMetaInvalidError,
  MerkleEmptyTreeError,
  MerkleLeafIndexOutOfRangeError,
  MerkleMultiProofUnsupportedError,
} from "../../../offchain/merkle/errors";
import { LEAF_ENCODING, leafHash, verifyProof } from "../../../offchain/merkle/leaf";
import { leafSetArb } from "./arbitraries";

const RUNS = Number(process.env.MERKLE_FUZZ_RUNS ?? 500);
const META = { chainId: 31337, contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address, epoch: 4n };

describe("offchain/merkle/distribution", () => {
  it("shuffling the allocations gives the same root, and every claim's proof verifies with OpenZeppelin and viem (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        leafSetArb(1, 30).chain((values) =>
          fc.tuple(fc.constant(values), fc.shuffledSubarray(values, { minLength: values.length })),
        ),
        async ([values, shuffled]) => {
          const a = await buildDistribution(META, values);
          const b = await buildDistribution(META, shuffled);
          expect(b.root).to.equal(a.root);
          for (const v of shuffled) {
            const claim = b.claimFor(v.account, v.token);
            expect(claim, "every allocation has a claim").to.not.equal(undefined);
            expect(claim!.cumulativeAmount).to.equal(v.cumulativeAmount);
            expect(claim!.leaf).to.equal(leafHash(v));
            expect(
              StandardMerkleTree.verify(
                b.root,
                [...LEAF_ENCODING],
                [v.account, v.token, v.cumulativeAmount],
                claim!.proof,
              ),
            ).to.equal(true);
            expect(verifyProof(b.root, v, claim!.proof)).to.equal(true);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("looks claims up by (account, token) in any address case and returns undefined for unknown pairs", async () => {
    const [a, b, t] = [
      "0x00000000000000000000000000000000000000a1",
      "0x00000000000000000000000000000000000000b2",
      "0x1000000000000000000000000000000000000001",
    ] as Address[];
    const d = await buildDistribution(META, [
      { account: b, token: t, cumulativeAmount: 2n },
      { account: a, token: t, cumulativeAmount: 1n },
    ]);
    expect(d.indexOf(getAddress(b), t)).to.equal(1);
    expect(d.claimFor(a, getAddress(t))?.cumulativeAmount).to.equal(1n);
    expect(d.claimFor(t, t)).to.equal(undefined);
    expect(d.claimFor(a, a)).to.equal(undefined);
    expect(d.claimAt(0).account).to.equal(a);
    expect(() => d.claimAt(2)).to.throw(MerkleLeafIndexOutOfRangeError);
    expect(d.contract).to.equal(META.contract.toLowerCase());
    expect(d.tokenTotals.map((x) => x.total)).to.deep.equal([3n]);
  });

  it("gives each account one multiproof of all its leaves that OpenZeppelin's processMultiProof verifies, or the typed refusal at the right edge (property)", async () => {
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(leafSetArb(1, 40), async (values) => {
        const d = await buildDistribution(META, values);
        for (const account of new Set(values.map((v) => v.account.toLowerCase() as Address))) {
          const mine = values.filter((v) => v.account.toLowerCase() === account);
          let m: ReturnType<typeof d.multiClaimFor>;
          try {
            m = d.multiClaimFor(getAddress(account))!;
          } catch (e) {
            expect(e).to.be.instanceOf(MerkleMultiProofUnsupportedError);
            refused++;
            continue;
          }
          expect(m.account).to.equal(account);
          expect(m.tokens).to.deep.equal(mine.map((v) => v.token.toLowerCase()).sort());
          expect(m.cumulativeAmounts).to.deep.equal(
            m.tokens.map((t) => mine.find((v) => v.token.toLowerCase() === t)!.cumulativeAmount),
          );
          const leaves = m.tokens.map((token, k) =>
            leafHash({ account, token, cumulativeAmount: m.cumulativeAmounts[k] }),
          );
          expect(processMultiProof({ leaves, proof: m.proof, proofFlags: m.proofFlags })).to.equal(d.root);
          expect(m.proofFlagsWord).to.equal(m.proofFlags.reduceRight((x, f) => (x << 1n) | (f ? 1n : 0n), 0n));
        }
        const stranger = "0x0000000000000000000000000000000000000abc";
        if (!values.some((v) => v.account.toLowerCase() === stranger))
          expect(d.multiClaimFor(stranger)).to.equal(undefined);
      }),
      { numRuns: 200 },
    );
    expect(refused).to.be.lessThan(200);
  });

  it("refuses an empty distribution and malformed chain id, contract or epoch", async () => {
    const one = [{ account: META.contract, token: META.contract, cumulativeAmount: 1n }];
    const rejects = async (p: Promise<unknown>, type: new (...args: never[]) => Error) =>
      p.then(
        () => expect.fail("accepted"),
        (e: unknown) => expect(e).to.be.instanceOf(type),
      );
    await rejects(buildDistribution(META, []), MerkleEmptyTreeError);
    await rejects(buildDistribution({ ...META, chainId: 0 }, one), DistributionMetaInvalidError);
    await rejects(buildDistribution({ ...META, contract: "0x12" as Address }, one), DistributionMetaInvalidError);
    await rejects(buildDistribution({ ...META, epoch: -1n }, one), DistributionMetaInvalidError);
  });
});
