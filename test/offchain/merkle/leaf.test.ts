import { expect } from "chai";
import fc from "fast-check";
import { standardLeafHash } from "@openzeppelin/merkle-tree/dist/hashes";
import { bytesToHex, concat, encodeAbiParameters, keccak256, type Hex } from "viem";
import { MerkleTree } from "merkletreejs";
import {
  LEAF_ENCODING,
  MAX_UINT256,
  createFastLeafHasher,
  encodeLeaf,
  hashPair,
  leafHash,
  verifyProof,
} from "../../../offchain/merkle/leaf";
import { addressArb, anyCaseAddressArb, amountArb, leafValueArb, pseudoLeaves } from "./arbitraries";

const RUNS = Number(process.env.MERKLE_FUZZ_RUNS ?? 1000);
const viemKeccak = (data: Buffer) => Buffer.from(keccak256(data, "bytes"));

describe("offchain/merkle/leaf", () => {
  it("encodes a leaf as abi.encode(address, address, uint256): three 32-byte words", () => {
    const account = "0x1111111111111111111111111111111111111111";
    const token = "0x2222222222222222222222222222222222222222";
    expect(encodeLeaf({ account, token, cumulativeAmount: 258n })).to.equal(
      `0x${"00".repeat(12)}${"11".repeat(20)}${"00".repeat(12)}${"22".repeat(20)}${"00".repeat(30)}0102`,
    );
  });

  it("hashes a leaf exactly like @openzeppelin/merkle-tree's standard leaf (double keccak)", () => {
    fc.assert(
      fc.property(leafValueArb, (v) => {
        const expected = standardLeafHash([...LEAF_ENCODING], [v.account, v.token, v.cumulativeAmount]);
        const inner = keccak256(
          encodeAbiParameters(
            [{ type: "address" }, { type: "address" }, { type: "uint256" }],
            [v.account, v.token, v.cumulativeAmount],
          ),
        );
        expect(leafHash(v)).to.equal(expected);
        expect(leafHash(v)).to.equal(keccak256(inner));
      }),
      { numRuns: RUNS },
    );
  });

  it("fast leaf hasher is byte-identical to the viem reference, including 0, 2^256-1 and checksummed addresses", async () => {
    const fast = await createFastLeafHasher();
    const out = new Uint8Array(64);
    fc.assert(
      fc.property(
        anyCaseAddressArb,
        anyCaseAddressArb,
        amountArb,
        fc.integer({ min: 0, max: 32 }),
        (account, token, amount, offset) => {
          out.fill(0xee);
          fast.hashLeafInto(account, token, amount, out, offset);
          expect(bytesToHex(out.subarray(offset, offset + 32))).to.equal(
            leafHash({ account, token, cumulativeAmount: amount }),
          );
          // Bytes outside the target slot are untouched.
          expect(out.subarray(0, offset).every((b) => b === 0xee)).to.equal(true);
        },
      ),
      {
        numRuns: RUNS,
        examples: [
          ["0x0000000000000000000000000000000000000000", "0xffffffffffffffffffffffffffffffffffffffff", MAX_UINT256, 0],
          ["0xffffffffffffffffffffffffffffffffffffffff", "0x0000000000000000000000000000000000000000", 0n, 32],
        ],
      },
    );
  });

  it("fast hasher leaves no state behind: a long then a short amount hash like fresh ones", async () => {
    const fast = await createFastLeafHasher();
    const a = "0x00000000000000000000000000000000000000aa";
    const out = new Uint8Array(32);
    fast.hashLeafInto(a, a, MAX_UINT256, out, 0);
    fast.hashLeafInto(a, a, 1n, out, 0);
    expect(bytesToHex(out)).to.equal(leafHash({ account: a, token: a, cumulativeAmount: 1n }));
  });

  it("hashPair is order-independent and equals merkletreejs's sortPairs root of two leaves", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (x, y) => {
          const [a, b] = [bytesToHex(x), bytesToHex(y)];
          const lo = Buffer.compare(Buffer.from(x), Buffer.from(y)) <= 0 ? [a, b] : [b, a];
          expect(hashPair(a, b)).to.equal(hashPair(b, a));
          expect(hashPair(a, b)).to.equal(keccak256(concat(lo as [Hex, Hex])));
          expect(hashPair(a, b)).to.equal(new MerkleTree([a, b], viemKeccak, { sortPairs: true }).getHexRoot());
        },
      ),
      { numRuns: 500 },
    );
  });

  it("verifyProof accepts a valid proof from a value or a leaf hash, and rejects a changed amount, sibling or root", () => {
    const [account, token] = [
      "0x1111111111111111111111111111111111111111",
      "0x2222222222222222222222222222222222222222",
    ] as const;
    const value = { account, token, cumulativeAmount: 500n };
    const others = pseudoLeaves(4);
    const leaves = [leafHash(value), ...others];
    const tree = new MerkleTree(leaves, viemKeccak, { sortPairs: true });
    const proof = tree.getHexProof(leaves[0]) as Hex[];
    const root = tree.getHexRoot() as Hex;
    expect(verifyProof(root, value, proof)).to.equal(true);
    expect(verifyProof(root, leaves[0], proof)).to.equal(true);
    expect(verifyProof(root, { ...value, cumulativeAmount: 501n }, proof)).to.equal(false);
    expect(verifyProof(root, value, [others[3], ...proof.slice(1)])).to.equal(false);
    expect(verifyProof(others[0], value, proof)).to.equal(false);
    expect(verifyProof(root, value, proof.slice(1))).to.equal(false);
    expect(verifyProof(root, value, ["0x1234", ...proof.slice(1)] as Hex[])).to.equal(false);
  });

  it("addresses generator covers the all-zero and all-ones edge addresses", () => {
    const seen = new Set(fc.sample(addressArb, { numRuns: 2000, seed: 1 }));
    expect(seen.has("0x0000000000000000000000000000000000000000")).to.equal(true);
    expect(seen.has("0xffffffffffffffffffffffffffffffffffffffff")).to.equal(true);
  });
});

describe("offchain/merkle/leaf hashLeafRange", () => {
  it("hashes a range with a token table and per-leaf token indices, string or ASCII-byte accounts, exactly like leafHash (property)", async () => {
    const { createKeccakHasher, hashLeafRange } = await import("../../../offchain/merkle/leaf");
    const hasher = await createKeccakHasher();
    fc.assert(
      fc.property(fc.array(leafValueArb, { minLength: 1, maxLength: 20 }), fc.boolean(), (values, packed) => {
        const lower = values.map((v) => ({
          ...v,
          account: v.account.toLowerCase() as Hex,
          token: v.token.toLowerCase() as Hex,
        }));
        // A token table with unused and repeated entries; leaves point into it in any order.
        const table = [...new Set(lower.map((v) => v.token))].reverse();
        const tokenIndex = lower.map((v) => table.indexOf(v.token));
        const out = new Uint8Array(32 * lower.length + 32);
        const accounts = packed
          ? Buffer.from(lower.map((v) => v.account).join(""), "latin1")
          : lower.map((v) => v.account);
        hashLeafRange(
          hasher,
          accounts,
          table,
          tokenIndex,
          lower.map((v) => v.cumulativeAmount),
          out,
          32,
        );
        lower.forEach((v, k) => expect(bytesToHex(out.subarray(32 + 32 * k, 64 + 32 * k))).to.equal(leafHash(v)));
      }),
      { numRuns: 500 },
    );
  });
});
