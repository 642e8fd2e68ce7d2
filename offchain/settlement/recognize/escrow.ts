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
  /** Part of `paid` that settles owed from earlier epochs; null when nothing was owed. */
  paidOwed: bigint[] | null;
  /** Still owed per bundle position, carried forward. */
  owed: bigint[];
  /** Σ paid. */
  used: bigint;
}

function sum(amounts: readonly bigint[]): bigint {
  let total = 0n;
  for (const a of amounts) total += a;
  return total;
}

/** Pay `amounts` from `available`, pro rata when short. Each share ≤ its amount: available·aᵢ/Σa < aᵢ. */
function payGroup(
  available: bigint,
  amounts: readonly bigint[],
  total: bigint,
  keys: () => readonly string[],
): bigint[] {
  if (total <= available) return amounts.slice();
  if (available === 0n) return amounts.map(() => 0n);
  const k = keys();
  return largestRemainder(
    available,
    amounts.map((weight, i) => ({ key: k[i], weight })),
  );
}

/**
 * @param available  escrow balance (deposits to date − recognized before)
 * @param owedBefore owed per bundle position from earlier epochs, or null for none
 * @param due        newly due per bundle position this epoch
 * @param keys       dataset id per bundle position (tie-break), built only when a group falls short
 */
export function drawFromEscrow(
  available: bigint,
  owedBefore: readonly bigint[] | null,
  due: readonly bigint[],
  keys: () => readonly string[],
): EscrowDraw {
  const dueTotal = sum(due);
  if (owedBefore === null && dueTotal <= available) {
    // Common case: nothing carried, deposits suffice: pay the due as is.
    return { paid: due as bigint[], paidOwed: null, owed: new Array<bigint>(due.length).fill(0n), used: dueTotal };
  }
  const owed0 = owedBefore ?? new Array<bigint>(due.length).fill(0n);
  const owedTotal = sum(owed0);
  const first = payGroup(available, owed0, owedTotal, keys);
  const firstTotal = owedTotal <= available ? owedTotal : available;
  const rest = available - firstTotal;
  const second = payGroup(rest, due, dueTotal, keys);
  const paid = new Array<bigint>(due.length);
  const owed = new Array<bigint>(due.length);
  for (let i = 0; i < due.length; i++) {
    paid[i] = first[i] + second[i];
    owed[i] = owed0[i] - first[i] + (due[i] - second[i]);
  }
  return { paid, paidOwed: first, owed, used: firstTotal + (dueTotal <= rest ? dueTotal : rest) };
}
