/** fast-check generators shared by the Merkle tests (loaded by mocha too; it defines no tests). */
import fc from "fast-check";
import { bytesToHex, getAddress, keccak256, toHex, type Address, type Hex } from "viem";
import { MAX_UINT256, type LeafValue } from "../../../offchain/merkle/leaf";

const ZERO = "0x0000000000000000000000000000000000000000" as Address;
const FFFF = "0xffffffffffffffffffffffffffffffffffffffff" as Address;

/** Lower-case addresses, with the all-zero and all-ones edges over-represented. */
export const addressArb: fc.Arbitrary<Address> = fc.oneof(
  { weight: 8, arbitrary: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => bytesToHex(b) as Address) },
  { weight: 1, arbitrary: fc.constantFrom(ZERO, FFFF) },
);

/** Same addresses, sometimes EIP-55 checksummed (what users paste). */
export const anyCaseAddressArb: fc.Arbitrary<Address> = fc
  .tuple(addressArb, fc.boolean())
  .map(([a, checksum]) => (checksum ? getAddress(a) : a));

/** uint256 amounts with 0, 1, 2^256-1 and small values over-represented. */
export const amountArb: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 4, arbitrary: fc.bigInt({ min: 0n, max: MAX_UINT256 }) },
  { weight: 2, arbitrary: fc.bigInt({ min: 0n, max: 10n ** 24n }) },
  { weight: 1, arbitrary: fc.constantFrom(0n, 1n, MAX_UINT256, MAX_UINT256 - 1n) },
);

export const leafValueArb: fc.Arbitrary<LeafValue> = fc.record({
  account: anyCaseAddressArb,
  token: anyCaseAddressArb,
  cumulativeAmount: amountArb,
});

/**
 * Distinct (account, token) leaves drawn from a few tokens and accounts that often share their
 * first 4 bytes (the canonical sort orders such runs by the full address).
 */
export function leafSetArb(minLength: number, maxLength: number): fc.Arbitrary<LeafValue[]> {
  const token = fc.oneof(addressArb, fc.constantFrom(...[1, 2, 3].map((i) => `0x${"ab".repeat(19)}0${i}` as Address)));
  const account = fc.oneof(
    anyCaseAddressArb,
    fc.uint8Array({ minLength: 16, maxLength: 16 }).map((rest) => `0xdeadbeef${bytesToHex(rest).slice(2)}` as Address),
  );
  return fc.uniqueArray(fc.record({ account, token, cumulativeAmount: amountArb }), {
    minLength,
    maxLength,
    selector: (v) => `${v.token.toLowerCase()}${v.account.toLowerCase()}`,
  });
}

/** n deterministic pseudo-random 32-byte leaf hashes. */
export function pseudoLeaves(n: number, seed = 0): Hex[] {
  return Array.from({ length: n }, (_, i) => keccak256(toHex(`leaf-${seed}-${i}`)));
}

export function hexLeavesToFlat(leaves: readonly Hex[]): Uint8Array {
  const flat = new Uint8Array(leaves.length * 32);
  leaves.forEach((l, i) => flat.set(Buffer.from(l.slice(2), "hex"), i * 32));
  return flat;
}
