/**
 * One-time fee: recognized in full, once, in the epoch in which confirmed deposits to date first
 * cover it. Partial deposits recognize nothing (they wait in escrow); deposits beyond the fee are
 * never recognized (they remain escrow balance, visible in the report, refundable outside the engine).
 */
import type { LicenseModel } from "../types";
import { SettlementError } from "../errors";

type OneTime = Extract<LicenseModel, { kind: "oneTime" }>;

/** Amount recognized this epoch, given deposits to date and the amount recognized before. */
export function recognizeOneTime(model: OneTime, depositedToDate: bigint, recognizedBefore: bigint): bigint {
  if (recognizedBefore === model.fee) return 0n;
  // Anything else than 0 or the fee means the fee was edited after recognition: refuse, don't guess.
  if (recognizedBefore !== 0n)
    throw new SettlementError(
      "SETTLEMENT_STATE_MISMATCH",
      `one-time fee ${model.fee} contradicts ${recognizedBefore} already recognized`,
    );
  return depositedToDate >= model.fee ? model.fee - recognizedBefore : 0n;
}
