/**
 * Rounding of cumulative amounts, not of each epoch's increment. Every (account, token) carries its
 * exact entitlement to date e (an integer × EXACT_SCALE) and its allocated cumulative c (base units).
 * After an epoch adds to the exact values, the new cumulatives are
 *   c'ᵢ = max(cᵢ, ⌊e'ᵢ⌋), then the units left over (Σ e' − Σ c', a whole number) go one each to the
 *   accounts furthest below their exact value (largest e'ᵢ − c'ᵢ, ties by address ascending).
 * Hence Σ c' = Σ e' (conservation), c' ≥ c (a leaf never decreases), and, while shares stay constant,
 * |c'ᵢ − e'ᵢ| < 1 for every account: over ten epochs of 1 unit into a 50/50 pool each side gets 5,
 * not 10 and 0 (each epoch's increment rounded on its own would drift without bound).
 *
 * When a share change lowers an account already ahead of its exact value, the lower bounds may exceed
 * the total; monotonicity wins (claims against earlier roots cannot be undone): the new units then go
 * in proportion to how far each account is below its exact value, and an account may stay up to
 * 2 units ahead until its exact entitlement catches up.
 */
import { largestRemainder } from "./split";
import { invariant } from "./errors";

/**
 * @param before  cumulative allocated per account (base units)
 * @param exact   exact entitlement to date per account (× scale), this epoch included
 * @param total   Σ exact / scale (must be a whole number of base units)
 * @param keys    account addresses (tie-break), lowercase
 * @returns       new cumulative per account
 */
export function roundCumulative(
  before: readonly bigint[],
  exact: readonly bigint[],
  total: bigint,
  keys: readonly string[],
  scale: bigint,
): bigint[] {
  const n = before.length;
  const out = new Array<bigint>(n);
  let sum = 0n;
  for (let i = 0; i < n; i++) {
    const floor = exact[i] / scale;
    out[i] = before[i] > floor ? before[i] : floor;
    sum += out[i];
  }
  let left = total - sum;
  if (left === 0n) return out;
  if (left > 0n) {
    const candidates: number[] = [];
    for (let i = 0; i < n; i++) if (out[i] * scale < exact[i]) candidates.push(i);
    const deficit = (i: number) => exact[i] - out[i] * scale;
    candidates.sort((a, b) => {
      const da = deficit(a);
      const db = deficit(b);
      if (da !== db) return da > db ? -1 : 1;
      return keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0;
    });
    invariant(BigInt(candidates.length) >= left, `rounding: ${left} units left for ${candidates.length} accounts`);
    for (let j = 0; left > 0n; j++, left--) out[candidates[j]] += 1n;
    return out;
  }
  // Lower bounds exceed the total (a share change, see above): spread the new units by deficit.
  let sumBefore = 0n;
  for (const b of before) sumBefore += b;
  const newUnits = total - sumBefore;
  invariant(newUnits >= 0n, "rounding: the total decreased");
  const weights = before.map((b, i) => {
    const d = exact[i] - b * scale;
    return { key: keys[i], weight: d > 0n ? d : 0n };
  });
  if (newUnits === 0n) return before.slice();
  const add = largestRemainder(newUnits, weights);
  return before.map((b, i) => b + add[i]);
}
