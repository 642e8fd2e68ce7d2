/**
 * The one place where addresses and ids get their canonical form: lowercase. Lowercase hex strings
 * of equal length compare (with `<`) exactly like the numbers they encode, so "ascending address"
 * is a plain string comparison everywhere in the engine.
 */
import { isAddress, type Address, type Hex } from "viem";

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

/** Lowercase a valid address. Mixed case must carry a valid EIP-55 checksum. Throws otherwise. */
export function normalizeAddress(value: string): Address {
  if (isCanonicalAddress(value)) return value as Address;
  if (!isAddress(value, { strict: true })) throw new TypeError(`invalid address: ${value}`);
  return value.toLowerCase() as Address;
}

/** Lowercase a bytes32 hex id. Throws if it is not `0x` + 64 hex digits. */
export function normalizeBytes32(value: string): Hex {
  if (isCanonicalBytes32(value)) return value as Hex; // common case: keep the same string, allocate nothing
  if (!BYTES32.test(value)) throw new TypeError(`invalid bytes32: ${value}`);
  return value.toLowerCase() as Hex;
}

/** Total order used for every canonical list: plain code-unit comparison of normalised strings. */
export function compareHex(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `0x` followed by exactly `digits` lowercase hex digits. A loop, not a regex: it runs millions of times per epoch. */
function isLowerHex(value: string, digits: number): boolean {
  if (value.length !== digits + 2 || value.charCodeAt(0) !== 48 /* 0 */ || value.charCodeAt(1) !== 120 /* x */)
    return false;
  for (let i = 2; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** True when `value` is already in the engine's canonical (lowercase) address form. */
export function isCanonicalAddress(value: string): boolean {
  return isLowerHex(value, 40);
}

/** True when `value` is already a canonical (lowercase) bytes32. */
export function isCanonicalBytes32(value: string): boolean {
  return isLowerHex(value, 64);
}
