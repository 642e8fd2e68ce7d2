/**
 * Subscription: periods are paid in order by confirmed deposits and recognized with the passage of
 * time. A cumulative-to-date formula makes pro-rata splitting exact: whatever the epoch boundaries,
 * the pieces of one period sum to its fee, because each epoch takes the difference of two values of
 *   recognizedToDate(t) = fee · min(paid, k) + (k < paid ? ⌊fee · r / period⌋ : 0),
 * with e = max(0, t − start), k = ⌊e / period⌋ whole periods elapsed and r = e mod period.
 * It is non-decreasing in t and in deposits, so an epoch's amount is never negative; a period paid
 * late (deposit confirmed after it began) is caught up in the epoch of the deposit.
 */
import type { LicenseModel } from "../types";
import { SettlementError } from "../errors";

type Subscription = Extract<LicenseModel, { kind: "subscription" }>;

/** Periods covered by deposits to date, in order, capped by the subscription's length. */
export function paidPeriods(model: Subscription, depositedToDate: bigint): bigint {
  const paid = depositedToDate / model.feePerPeriod;
  return model.maxPeriods !== undefined && paid > BigInt(model.maxPeriods) ? BigInt(model.maxPeriods) : paid;
}

/** Revenue recognized from the subscription's start up to time `at` (unix seconds, exclusive). */
export function subscriptionRecognizedToDate(model: Subscription, depositedToDate: bigint, at: number): bigint {
  const paid = paidPeriods(model, depositedToDate);
  if (paid === 0n || at <= model.start) return 0n;
  const elapsed = BigInt(at - model.start);
  const period = BigInt(model.periodSeconds);
  const whole = elapsed / period;
  if (whole >= paid) return model.feePerPeriod * paid;
  return model.feePerPeriod * whole + (model.feePerPeriod * (elapsed % period)) / period;
}

/** Amount recognized in the epoch ending at `epochEnd`. */
export function recognizeSubscription(
  model: Subscription,
  depositedToDate: bigint,
  recognizedBefore: bigint,
  epochEnd: number,
): bigint {
  const toDate = subscriptionRecognizedToDate(model, depositedToDate, epochEnd);
  // Monotone in time and deposits, so this only happens if the terms were edited after recognition.
  if (toDate < recognizedBefore) {
    throw new SettlementError(
      "SETTLEMENT_STATE_MISMATCH",
      `subscription terms give ${toDate} to date, less than ${recognizedBefore} already recognized`,
    );
  }
  return toDate - recognizedBefore;
}
