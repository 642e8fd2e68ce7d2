/**
 * Deposits no license can take as they are. A deposit in another token than its license's can never
 * be recognized: it is refunded to its payer at once. A deposit to an unknown license id (a typo, or a
 * license recorded late) is held: it joins its license when the license appears, and is refunded to its
 * payer once `at + unknownLicenseGraceSeconds` has passed. Without a valid payer it stays held (visible
 * in the report and the carried state), never allocated to anyone else.
 */
import type { Address } from "viem";
import type { HeldDeposit } from "./types";
import type { PreparedEpoch } from "./validate";
import { compareHex } from "./normalize";

export interface HeldOutcome {
  /** Still held after this epoch, canonical order. */
  held: HeldDeposit[];
  refunds: { payer: Address; token: Address; amount: bigint }[];
}

/** Apply (mutating the prepared licenses' `newDeposits`), refund or keep every held deposit. */
export function settleHeld(
  epoch: PreparedEpoch,
  candidates: readonly HeldDeposit[],
  payerValid: (payer: Address | undefined) => payer is Address,
): HeldOutcome {
  const { licenses, licenseIndex } = epoch;
  const { end } = epoch.input.window;
  const grace = epoch.input.lifecycle.unknownLicenseGraceSeconds;
  const held: HeldDeposit[] = [];
  const refunds: HeldOutcome["refunds"] = [];
  for (const h of candidates) {
    const i = licenseIndex.get(h.licenseId);
    if (i !== undefined && licenses[i].license.token === h.token) {
      licenses[i].newDeposits += h.amount; // the license appeared: the deposit is its own
      continue;
    }
    const refundable = i !== undefined || (h.at ?? end) + grace <= end;
    if (refundable && payerValid(h.payer)) refunds.push({ payer: h.payer, token: h.token, amount: h.amount });
    else held.push(h);
  }
  held.sort(
    (a, b) =>
      compareHex(a.licenseId, b.licenseId) ||
      compareHex(a.token, b.token) ||
      compareHex(a.payer ?? "", b.payer ?? "") ||
      (a.at ?? 0) - (b.at ?? 0) ||
      (a.amount < b.amount ? -1 : a.amount > b.amount ? 1 : 0),
  );
  return { held, refunds };
}
