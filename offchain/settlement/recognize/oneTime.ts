/**
 * One-time fee: recognized in full, once, in the epoch in which confirmed deposits to date first
 * cover it. Partial deposits recognize nothing (they wait in escrow); deposits beyond the fee are
 * never recognized (they remain escrow balance, visible in the report, refundable outside the engine).
 */
import type { LicenseModel } from "../types";

type OneTime = Extract<LicenseModel, { kind: "oneTime" }>;

/** Amount recognized this epoch, given deposits to date and the amount recognized before. */
export function recognizeOneTime(model: OneTime, depositedToDate: bigint, recognizedBefore: bigint): bigint {
  if (recognizedBefore >= model.fee) return 0n;
  return depositedToDate >= model.fee ? model.fee - recognizedBefore : 0n;
}
