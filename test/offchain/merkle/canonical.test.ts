import { expect } from "chai";
import fc from "fast-check";
import { getAddress, type Address } from "viem";
import { canonicalizeLeaves } from "../../../offchain/merkle/canonical";
import { MerkleDuplicateLeafError, MerkleInvalidLeafError } from "../../../offchain/merkle/errors";
import { MAX_UINT256 } from "../../../offchain/merkle/leaf";
import { leafSetArb } from "./arbitraries";

const RUNS = Number(process.env.MERKLE_FUZZ_RUNS ?? 500);
const A = "0x00000000000000000000000000000000000000a1" as Address;
const B = "0x00000000000000000000000000000000000000b2" as Address;
const T1 = "0x1000000000000000000000000000000000000001" as Address;
const T2 = "0x2000000000000000000000000000000000000002" as Address;

describe("offchain/merkle/canonical", () => {
  it("orders leaves by account then token, lower-cased, and totals each token across the list", () => {
    const leaves = canonicalizeLeaves([
      { account: B, token: T2, cumulativeAmount: 5n },
      { account: getAddress(B), token: T1, cumulativeAmount: 7n },
      { account: A, token: T2, cumulativeAmount: 1n },
      { account: A, token: T1.toUpperCase().replace("0X", "0x") as Address, cumulativeAmount: 3n },
    ]);
    expect(leaves.accounts).to.deep.equal([A, A, B, B]);
    expect(leaves.tokens).to.deep.equal([T1, T2, T1, T2]);
    expect(leaves.amounts).to.deep.equal([3n, 1n, 7n, 5n]);
    expect([...leaves.tokenIndex]).to.deep.equal([0, 1, 0, 1]);
    expect(leaves.tokenTotals).to.deep.equal([
      { token: T1, total: 10n },
      { token: T2, total: 6n },
    ]);
  });

  it("gives the order of a plain (account, token) string sort for any input order, including shared 4-byte prefixes (property)", () => {
    fc.assert(
      fc.property(leafSetArb(0, 60), fc.integer(), (values, seed) => {
        const shuffled = fc.sample(fc.shuffledSubarray(values, { minLength: values.length }), { numRuns: 1, seed })[0];
        const leaves = canonicalizeLeaves(shuffled);
        const expected = values
          .map((v) => ({ k: `${v.account.toLowerCase()}${v.token.toLowerCase()}`, v }))
          .sort((x, y) => (x.k < y.k ? -1 : x.k > y.k ? 1 : 0));
        expect(leaves.length).to.equal(values.length);
        expected.forEach(({ v }, i) => {
          expect(leaves.accounts[i]).to.equal(v.account.toLowerCase());
          expect(leaves.tokens[i]).to.equal(v.token.toLowerCase());
          expect(leaves.amounts[i]).to.equal(v.cumulativeAmount);
          expect(leaves.tokenTotals[leaves.tokenIndex[i]].token).to.equal(v.token.toLowerCase());
        });
        expect(leaves.tokenTotals.map((t) => t.token)).to.deep.equal(
          [...new Set(values.map((v) => v.token.toLowerCase()))].sort(),
        );
        const sum = (t: string) =>
          values.filter((v) => v.token.toLowerCase() === t).reduce((s, v) => s + v.cumulativeAmount, 0n);
        for (const t of leaves.tokenTotals) expect(t.total).to.equal(sum(t.token));
      }),
      { numRuns: RUNS },
    );
  });

  it("rejects a second leaf for the same (account, token), whatever the address case", () => {
    expect(() =>
      canonicalizeLeaves([
        { account: A, token: T1, cumulativeAmount: 1n },
        { account: B, token: T1, cumulativeAmount: 1n },
        { account: getAddress(A), token: T1, cumulativeAmount: 2n },
      ]),
    ).to.throw(MerkleDuplicateLeafError);
    // Same account with other tokens around the duplicate: still found.
    expect(() =>
      canonicalizeLeaves([
        { account: A, token: T2, cumulativeAmount: 1n },
        { account: A, token: T1, cumulativeAmount: 1n },
        { account: B, token: T1, cumulativeAmount: 1n },
        { account: A, token: T2, cumulativeAmount: 2n },
      ]),
    ).to.throw(MerkleDuplicateLeafError);
  });

  it("rejects malformed addresses, bad EIP-55 checksums and amounts outside uint256", () => {
    const ok = { account: A, token: T1, cumulativeAmount: 1n };
    const checksummed = getAddress("0x52908400098527886e0f7030069857d2e4169ee7");
    const badChecksum = (checksummed.slice(0, 2) +
      checksummed[2].toLowerCase() +
      checksummed.slice(3).replace("E", "e")) as Address;
    const bad: unknown[] = [
      { ...ok, account: "0x1234" },
      { ...ok, token: `${A}00` },
      { ...ok, account: A.replace("0x", "") },
      { ...ok, account: `0x${"g".repeat(40)}` },
      { ...ok, account: badChecksum },
      { ...ok, cumulativeAmount: -1n },
      { ...ok, cumulativeAmount: MAX_UINT256 + 1n },
      { ...ok, cumulativeAmount: 5 },
    ];
    for (const value of bad) {
      expect(
        () => canonicalizeLeaves([ok, value as typeof ok]),
        JSON.stringify(value, (_, x) => (typeof x === "bigint" ? `${x}n` : x)),
      ).to.throw(MerkleInvalidLeafError, "leaf #1");
    }
    expect(canonicalizeLeaves([{ ...ok, account: checksummed, cumulativeAmount: MAX_UINT256 }]).amounts).to.deep.equal([
      MAX_UINT256,
    ]);
  });
});
