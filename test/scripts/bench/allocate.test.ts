import { expect } from "chai";
import { allocate } from "../../../offchain/settlement";
import { buildEpoch, buildMarket, type MarketShape } from "../../../scripts/bench/allocateInput";
import { allocateNaive } from "../../../scripts/bench/allocateNaive";

// The benchmark's shape, scaled down 100×, so the synthetic input itself is checked quickly.
const SMALL: MarketShape = {
  creators: 1_000,
  datasets: 500,
  licenses: 100,
  perUseLicenses: 97,
  usageAggregates: 10_000,
  tokens: 3,
};

describe("scripts/bench/allocate: synthetic input", () => {
  it("has exactly the announced number of usage aggregates, all accepted, and is the same for the same seed", () => {
    const market = buildMarket(SMALL, 1);
    const e1 = buildEpoch(market, 1, null, 1);
    expect(e1.usage.length).to.equal(SMALL.usageAggregates);
    const result = allocate(e1);
    for (const r of Object.values(result.report.rejected)) expect(r.count).to.equal(0);
    expect(new Set(result.allocations.map((a) => a.account)).size).to.equal(SMALL.creators + 1); // + treasury
    expect(result.report.tokens.some((t) => t.carriedForward.licenses > 0)).to.equal(true); // shortfall path runs
    const again = allocate(buildEpoch(buildMarket(SMALL, 1), 1, null, 1));
    expect(again).to.deep.equal(result);
    // Epoch 2 chains on epoch 1's state.
    const e2 = allocate(buildEpoch(market, 2, result.state, 1));
    expect(e2.allocations.length).to.equal(result.allocations.length);
  });

  it("naive baseline conserves the same per-token total as allocate when no license is short", () => {
    const market = buildMarket(SMALL, 2);
    const input = buildEpoch(market, 1, null, 2);
    const perUseOnly = {
      ...input,
      licenses: input.licenses.filter((l) => l.model.kind === "perUse"),
      // Fund every per-use license fully, so escrow never binds and both must allocate all usage.
      deposits: input.licenses
        .filter((l) => l.model.kind === "perUse")
        .map((l) => ({ licenseId: l.id, token: l.token, amount: 10n ** 40n })),
    };
    const ours = allocate(perUseOnly);
    const naive = allocateNaive(perUseOnly);
    for (const t of ours.totals) {
      const naiveTotal = naive.filter((n) => n.key.endsWith(`:${t.token}`)).reduce((s, n) => s + n.amount, 0n);
      expect(naiveTotal).to.equal(t.amount);
    }
  });
});
