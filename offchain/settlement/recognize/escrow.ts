/**
 * Draws per-use and revenue-share amounts from a license's escrow (confirmed deposits not yet
 * recognized). Amounts owed from earlier epochs are paid first; when the escrow cannot cover a
 * group, it is paid pro rata by amount (largest remainder, ties by dataset id) and the rest stays
 * owed. Nothing is ever drawn beyond the escrow: Σ paid ≤ available.
 */
import { largestRemainder } from "../split";

export interface EscrowDraw {
  /** Paid per bundle position (old owed + new due). */
  paid: bigint[];
  /** Still owed per bundle position, carried forward. */
  owed: bigint[];
  /** Σ paid. */
  used: bigint;
}

function payGroup(available: bigint, amounts: readonly bigint[], keys: readonly string[]): { paid: bigint[]; total: bigint } {
  let total = 0n;
  for (const a of amounts) total += a;
  if (total <= available) return { paid: [...amounts], total };
  if (available === 0n) return { paid: amounts.map(() => 0n), total: 0n };
  // Each share ≤ its amount: the exact share available·aᵢ/Σa is < aᵢ, and aᵢ is an integer.
  const paid = largestRemainder(
    available,
    amounts.map((weight, i) => ({ key: keys[i], weight })),
  );
  return { paid, total: available };
}

/**
 * @param available  escrow balance (deposits to date − recognized before)
 * @param owedBefore owed per bundle position from earlier epochs
 * @param due        newly due per bundle position this epoch
 * @param keys       dataset id per bundle position (tie-break)
 */
export function drawFromEscrow(available: bigint, owedBefore: readonly bigint[], due: readonly bigint[], keys: readonly string[]): EscrowDraw {
  const first = payGroup(available, owedBefore, keys);
  const second = payGroup(available - first.total, due, keys);
  const paid = new Array<bigint>(due.length);
  const owed = new Array<bigint>(due.length);
  for (let i = 0; i < due.length; i++) {
    paid[i] = first.paid[i] + second.paid[i];
    owed[i] = owedBefore[i] - first.paid[i] + (due[i] - second.paid[i]);
  }
  return { paid, owed, used: first.total + second.total };
}
