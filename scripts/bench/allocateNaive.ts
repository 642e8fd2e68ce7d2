/**
 * The straightforward allocation, as a benchmark baseline only: for every usage aggregate, look up
 * the license and dataset, take the fee, split that one aggregate over its contributors, and
 * accumulate into a map keyed by "account:token" strings. It skips validation, escrow and the
 * other license models, so it does less work than `allocate`; its timing is a lower bound for the
 * naive design. Not used by the engine.
 */
import type { SettlementInput } from "../../offchain/settlement";
import { largestRemainder } from "../../offchain/settlement";

export function allocateNaive(input: SettlementInput): { key: string; amount: bigint }[] {
  const datasets = new Map(input.datasets.map((d) => [d.id, d]));
  const licenses = new Map(input.licenses.map((l) => [l.id, l]));
  const feeBps = BigInt(input.platformFee.bps);
  const out = new Map<string, bigint>();
  const add = (key: string, v: bigint) => out.set(key, (out.get(key) ?? 0n) + v);
  for (const u of input.usage) {
    const license = licenses.get(u.licenseId);
    const dataset = datasets.get(u.datasetId);
    if (license === undefined || dataset === undefined || license.model.kind !== "perUse") continue;
    const amount = license.model.ratePerUnit * u.units;
    const fee = (amount * feeBps) / 10_000n;
    add(`${input.platformFee.treasury}:${license.token}`, fee);
    const parts = dataset.contributors.map((c) => ({ key: c.account, weight: BigInt(c.bps) }));
    const shares = largestRemainder(amount - fee, parts);
    dataset.contributors.forEach((c, i) => add(`${c.account}:${license.token}`, shares[i]));
  }
  return [...out]
    .map(([key, amount]) => ({ key, amount }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
