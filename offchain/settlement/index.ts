/**
 * Settlement engine: pure TypeScript, no database, no network.
 *
 * @example
 *   const input = SettlementInputSchema.parse(rowsFromDb); // normalises addresses, amounts
 *   const { allocations, totals, state, report } = allocate(input);
 *   // store `state` for the next epoch; hand `allocations` (account, token, cumulative) to the Merkle builder
 */
export { allocate, type AllocateOptions, type AllocationTrace } from "./allocate";
export { largestRemainder, type WeightedKey } from "./split";
export { normalizeAddress, normalizeBytes32 } from "./normalize";
export { subscriptionRecognizedToDate } from "./recognize/subscription";
export { SettlementError, ExclusivityOverlapError, type SettlementErrorCode } from "./errors";
export * from "./types";
