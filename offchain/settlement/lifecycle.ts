/**
 * License lifecycle in money: when a license ends (its term, or a cancellation), what may still be
 * recognized and what is refunded to its payer. Refunds are cumulative leaves (payer, token) in the
 * same tree as everyone else's, so nothing new is needed on-chain. Per model:
 * - one-time: the fee is final once recognized; anything deposited beyond it is an overpayment,
 *   refunded at once. A license that ends (term or cancel) before its fee was covered recognizes
 *   nothing and refunds every deposit. The fee is recognized in an epoch only while the license was
 *   live in it (no end, or an end after the window's start).
 * - subscription: a cancellation takes effect at the end of the period in which it falls ("end of the
 *   current paid period": no pro rata refund of a started period; a cancel before the start ends
 *   the term at the start). Deposits beyond the price of the (shortened) term are refunded at once;
 *   a short deposit that cannot buy the next period is refunded when the term is over.
 * - per-use and revenue share: usage may be reported until `min(endsAt, cancelledAt) + lateUsageGrace`
 *   (the final usage window); in the first epoch ending at or after it, what is left in escrow after
 *   that usage is charged is refunded. Deposits confirmed later are refunded as they arrive.
 * In every case refundedToDate ≤ deposited − recognized: a refund never takes back recognized money.
 */
import type { License } from "./types";
import { subscriptionTerm } from "./recognize/subscription";

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/** When the license stops being usable: the earlier of its term end and its cancellation. */
export function licenseEnd(license: License): number | undefined {
  return minDefined(license.endsAt, license.cancelledAt);
}

/** Subscription term end after a cancellation: the end of the period in which the cancellation falls. */
export function subscriptionTermEnd(license: License): number | undefined {
  const m = license.model;
  if (m.kind !== "subscription") return undefined;
  let cancelEnd: number | undefined;
  if (license.cancelledAt !== undefined) {
    const since = license.cancelledAt - m.start;
    cancelEnd = since <= 0 ? m.start : m.start + Math.ceil(since / m.periodSeconds) * m.periodSeconds;
  }
  return minDefined(license.endsAt, cancelEnd);
}

/** Whether a one-time fee may be recognized in the window starting at `windowStart`. */
export function oneTimeLive(license: License, windowStart: number): boolean {
  const end = licenseEnd(license);
  return end === undefined || end > windowStart;
}

/**
 * Cumulative refund due to the payer after this epoch's recognition.
 * @param deposited  confirmed deposits to date
 * @param recognized recognized to date (this epoch included)
 */
export function refundDue(
  license: License,
  deposited: bigint,
  recognized: bigint,
  window: { start: number; end: number },
  lateUsageGraceSeconds: number,
): bigint {
  const m = license.model;
  const free = deposited - recognized;
  let due = 0n;
  switch (m.kind) {
    case "oneTime": {
      if (recognized >= m.fee) due = deposited - m.fee;
      else {
        const end = licenseEnd(license);
        if (end !== undefined && end <= window.end) due = deposited;
      }
      break;
    }
    case "subscription": {
      const term = subscriptionTerm(m, subscriptionTermEnd(license));
      if (term === undefined) break;
      if (deposited >= term.price) due = deposited - term.price;
      else if (window.end >= term.end) due = free;
      break;
    }
    case "perUse":
    case "revenueShare": {
      const end = licenseEnd(license);
      if (end !== undefined && window.end >= end + lateUsageGraceSeconds) due = free;
      break;
    }
  }
  return due > free ? free : due < 0n ? 0n : due;
}
