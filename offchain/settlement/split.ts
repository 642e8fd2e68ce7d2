/**
 * The engine's only rounding rule: largest remainder (Hamilton), exact in bigint.
 *
 * Each share i gets ⌊total·wᵢ / W⌋; the units left over (fewer than the number of shares) go one each
 * to the shares with the largest remainders (total·wᵢ mod W), ties broken by key ascending (address
 * or dataset id, lowercase). Hence Σ shares = total exactly, and every share differs from its exact
 * rational value total·wᵢ/W by strictly less than one base unit.
 */
export interface WeightedKey {
  /** Tie-break key; lowercase hex compares like the number it encodes. */
  key: string;
  weight: bigint;
}

/**
 * Split `total` over `parts` by weight.
 * @param total  non-negative amount to split
 * @param parts  weights ≥ 0 with a positive sum and distinct keys
 * @returns      shares in the order of `parts`, summing to `total`
 * @example largestRemainder(10n, [{ key: "0xa", weight: 1n }, { key: "0xb", weight: 1n }, { key: "0xc", weight: 1n }]) // [4n, 3n, 3n]
 */
export function largestRemainder(total: bigint, parts: readonly WeightedKey[]): bigint[] {
  let weightSum = 0n;
  for (const p of parts) weightSum += p.weight;
  if (weightSum <= 0n) throw new RangeError("largestRemainder: weights must have a positive sum");
  if (total < 0n) throw new RangeError("largestRemainder: total must be non-negative");

  const shares = new Array<bigint>(parts.length);
  const remainders = new Array<bigint>(parts.length);
  let given = 0n;
  for (let i = 0; i < parts.length; i++) {
    const product = total * parts[i].weight;
    shares[i] = product / weightSum;
    remainders[i] = product % weightSum;
    given += shares[i];
  }
  let leftover = Number(total - given); // < parts.length
  if (leftover === 0) return shares;

  const order = parts.map((_, i) => i);
  order.sort((a, b) => {
    if (remainders[a] !== remainders[b]) return remainders[a] > remainders[b] ? -1 : 1;
    const ka = parts[a].key;
    const kb = parts[b].key;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  for (let j = 0; leftover > 0; j++, leftover--) shares[order[j]] += 1n;
  return shares;
}
