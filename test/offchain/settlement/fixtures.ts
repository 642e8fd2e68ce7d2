/** Small builders shared by the settlement tests: readable names for addresses and ids. */
import type { Address, Hex } from "viem";
import {
  SettlementInputSchema,
  type SettlementInput,
  type SettlementInputRaw,
  type SettlementResult,
} from "../../../offchain/settlement";

/** Address 0x00…0n (lowercase, canonical); `addr(1) < addr(2)`. */
export function addr(n: number): Address {
  return `0x${n.toString(16).padStart(40, "0")}` as Address;
}

/** bytes32 id 0x00…0n. */
export function id32(n: number): Hex {
  return `0x${n.toString(16).padStart(64, "0")}` as Hex;
}

export const TOKEN = addr(0x70);
export const TREASURY = addr(0xfe);

/** Parse a raw input through the public schema, as the service does. */
export function parse(raw: SettlementInputRaw): SettlementInput {
  return SettlementInputSchema.parse(raw);
}

/** Amount allocated this epoch to (account, token), 0n when absent. */
export function amountOf(result: SettlementResult, account: Address, token: Address = TOKEN): bigint {
  return result.allocations.find((a) => a.account === account && a.token === token)?.amount ?? 0n;
}

export function cumulativeOf(result: SettlementResult, account: Address, token: Address = TOKEN): bigint | undefined {
  return result.allocations.find((a) => a.account === account && a.token === token)?.cumulative;
}
