/**
 * Subscription: periods are paid in order by confirmed deposits and recognized with the passage of
 * time. A cumulative-to-date formula makes pro-rata splitting exact: whatever the epoch boundaries,
 * the pieces of one period sum to its price, because each epoch takes the difference of two values of
 *   recognizedToDate(t) = fee · min(paid, k) + (k < paid ? ⌊fee · r / period⌋ : 0),
 * with e = max(0, min(t, termEnd) − start), k = ⌊e / period⌋ whole periods elapsed and r = e mod period.
 * It is non-decreasing in t and in deposits, so an epoch's amount is never negative; a period paid
 * late (deposit confirmed after it began) is caught up in the epoch of the deposit.
 *
 * The term: `maxPeriods` periods and/or the license's end (`termEnd`, see lifecycle.ts). When the term
 * is not a whole number of periods (45 days at 30-day periods) the last period is shorter and costs
 * ⌊fee · its length / period⌋: the formula above gives exactly that at its end, so a buyer who deposits
 * for every period it is told about leaves nothing stranded (an excess is refunded, lifecycle.ts).
 */
import type { LicenseModel } from "../types";
import { SettlementError } from "../errors";

type Subscription = Extract<LicenseModel, { kind: "subscription" }>;

/** The term in periods: count and price of the (possibly shorter) last one; undefined when open-ended. */
export interface SubscriptionTerm {
  periods: bigint;
  lastPrice: bigint;
  /** fee · (periods − 1) + lastPrice: everything the term can ever recognize. */
  price: bigint;
  end: number;
}

/** End of the term: the earlier of `start + maxPeriods · period` and `termEnd`; never before the start. */
export function subscriptionTerm(model: Subscription, termEnd?: number): SubscriptionTerm | undefined {
  let end: number | undefined =
    model.maxPeriods !== undefined ? model.start + model.maxPeriods * model.periodSeconds : undefined;
  if (termEnd !== undefined) end = end === undefined ? termEnd : Math.min(end, termEnd);
  if (end === undefined) return undefined;
  if (end <= model.start) return { periods: 0n, lastPrice: 0n, price: 0n, end: model.start };
  const length = BigInt(end - model.start);
  const period = BigInt(model.periodSeconds);
  const periods = (length + period - 1n) / period;
  const lastLength = length - (periods - 1n) * period;
  const lastPrice = lastLength === period ? model.feePerPeriod : (model.feePerPeriod * lastLength) / period;
  return { periods, lastPrice, price: model.feePerPeriod * (periods - 1n) + lastPrice, end };
}

/** Periods covered by deposits to date, in order, capped by the term. */
export function paidPeriods(model: Subscription, depositedToDate: bigint, term?: SubscriptionTerm | null): bigint {
  const t = term === null ? undefined : (term ?? subscriptionTerm(model));
  const full = depositedToDate / model.feePerPeriod;
  if (t === undefined) return full;
  if (depositedToDate >= t.price) return t.periods;
  return full < t.periods - 1n ? full : t.periods > 0n ? t.periods - 1n : 0n;
}

/** Revenue recognized from the subscription's start up to time `at` (unix seconds, exclusive). */
export function subscriptionRecognizedToDate(
  model: Subscription,
  depositedToDate: bigint,
  at: number,
  termEnd?: number,
): bigint {
  const term = subscriptionTerm(model, termEnd);
  const paid = paidPeriods(model, depositedToDate, term ?? null);
  const until = term === undefined ? at : Math.min(at, term.end);
  if (paid === 0n || until <= model.start) return 0n;
  const elapsed = BigInt(until - model.start);
  const period = BigInt(model.periodSeconds);
  const whole = elapsed / period;
  if (whole >= paid) return term !== undefined && paid === term.periods ? term.price : model.feePerPeriod * paid;
  return model.feePerPeriod * whole + (model.feePerPeriod * (elapsed % period)) / period;
}

/** Amount recognized in the epoch ending at `epochEnd`. */
export function recognizeSubscription(
  model: Subscription,
  depositedToDate: bigint,
  recognizedBefore: bigint,
  epochEnd: number,
  termEnd?: number,
): bigint {
  const toDate = subscriptionRecognizedToDate(model, depositedToDate, epochEnd, termEnd);
  // Monotone in time and deposits, so this only happens if the terms were edited after recognition.
  if (toDate < recognizedBefore) {
    throw new SettlementError(
      "SETTLEMENT_STATE_MISMATCH",
      `subscription terms give ${toDate} to date, less than ${recognizedBefore} already recognized`,
    );
  }
  return toDate - recognizedBefore;
}
