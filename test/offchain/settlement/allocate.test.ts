/**
 * Hand-checked examples, one per license model. Every expected number is derived in the comment
 * above it; the engine must reproduce them exactly.
 */
import { expect } from "chai";
import {
  allocate,
  type SettlementInputRaw,
  type SettlementResult,
  type SettlementState,
} from "../../../offchain/settlement";
import { addr, amountOf, cumulativeOf, id32, parse, TOKEN, TREASURY } from "./fixtures";

const A = addr(0xa);
const B = addr(0xb);
const C = addr(0xc);
const D1 = id32(1);
const D2 = id32(2);
const L1 = id32(0x101);

type Raw = SettlementInputRaw;

function epoch(
  n: number,
  start: number,
  end: number,
  rest: Partial<Raw>,
  previous: SettlementState | null,
): SettlementResult {
  return allocate(
    parse({
      window: { epoch: n, start, end },
      platformFee: { bps: 0, treasury: TREASURY },
      datasets: [],
      licenses: [],
      ...rest,
      previous,
    }),
  );
}

describe("settlement/allocate: hand-checked examples", () => {
  it("one-time: partial deposit recognizes nothing, covering deposit recognizes the fee once, excess stays in escrow", () => {
    const base: Partial<Raw> = {
      datasets: [
        {
          id: D1,
          contributors: [
            { account: A, bps: 6000 },
            { account: B, bps: 4000 },
          ],
        },
      ],
      licenses: [
        { id: L1, token: TOKEN, datasets: [{ datasetId: D1, weight: 1 }], model: { kind: "oneTime", fee: "1000" } },
      ],
    };
    // Epoch 1: deposited 600 < fee 1000 → nothing recognized, 600 waits in escrow.
    const e1 = epoch(1, 0, 100, { ...base, deposits: [{ licenseId: L1, token: TOKEN, amount: "600" }] }, null);
    expect(e1.allocations).to.deep.equal([]);
    expect(e1.report.tokens[0].escrowBalance).to.equal(600n);
    // Epoch 2: deposited 600 + 500 = 1100 ≥ 1000 → recognize 1000: A 60% = 600, B 40% = 400; excess 100 stays.
    const e2 = epoch(2, 100, 200, { ...base, deposits: [{ licenseId: L1, token: TOKEN, amount: "500" }] }, e1.state);
    expect(amountOf(e2, A)).to.equal(600n);
    expect(amountOf(e2, B)).to.equal(400n);
    expect(e2.totals).to.deep.equal([{ token: TOKEN, amount: 1000n, cumulative: 1000n }]);
    expect(e2.report.tokens[0].recognized.oneTime).to.equal(1000n);
    expect(e2.report.tokens[0].escrowBalance).to.equal(100n);
    // Epoch 3: another deposit of 1000 recognizes nothing (fee already paid); A and B keep their cumulative.
    const e3 = epoch(3, 200, 300, { ...base, deposits: [{ licenseId: L1, token: TOKEN, amount: "1000" }] }, e2.state);
    expect(e3.allocations).to.deep.equal([
      { account: A, token: TOKEN, amount: 0n, cumulative: 600n },
      { account: B, token: TOKEN, amount: 0n, cumulative: 400n },
    ]);
    expect(e3.report.tokens[0].escrowBalance).to.equal(1100n);
  });

  it("subscription: a period straddling two epochs is split pro rata by time, a late-paid period is caught up", () => {
    const base: Partial<Raw> = {
      datasets: [
        {
          id: D1,
          contributors: [
            { account: A, bps: 3333 },
            { account: B, bps: 3333 },
            { account: C, bps: 3334 },
          ],
        },
      ],
      licenses: [
        {
          id: L1,
          token: TOKEN,
          datasets: [{ datasetId: D1, weight: 1 }],
          model: { kind: "subscription", feePerPeriod: "1000", periodSeconds: 100, start: 50 },
        },
      ],
    };
    // Deposit 1500 → ⌊1500/1000⌋ = 1 paid period, [50, 150).
    // Epoch 1 ends at 120: elapsed 70 of 100 → ⌊1000·70/100⌋ = 700.
    // 700 split 3333/3333/3334: exact 233.31, 233.31, 233.38 → floors 233+233+233 = 699; the one
    // leftover unit goes to the largest remainder (C, .38) → A 233, B 233, C 234.
    const e1 = epoch(1, 0, 120, { ...base, deposits: [{ licenseId: L1, token: TOKEN, amount: "1500" }] }, null);
    expect([amountOf(e1, A), amountOf(e1, B), amountOf(e1, C)]).to.deep.equal([233n, 233n, 234n]);
    // Epoch 2 ends at 300: the paid period is over → to date 1000; recognize 1000 − 700 = 300.
    // Rounded on the cumulative: exact to date 333.3, 333.3, 333.4 → max(previous, floor) = 333, 333, 333
    // = 999; the leftover unit goes to the largest deficit (C, .4) → 333, 333, 334: increments 100 each.
    const e2 = epoch(2, 120, 300, base, e1.state);
    expect([amountOf(e2, A), amountOf(e2, B), amountOf(e2, C)]).to.deep.equal([100n, 100n, 100n]);
    expect([cumulativeOf(e2, A), cumulativeOf(e2, B), cumulativeOf(e2, C)]).to.deep.equal([333n, 333n, 334n]);
    expect(e2.report.tokens[0].recognized.subscription).to.equal(300n);
    // Epoch 3 [300, 400): deposit 500 → 2000 → 2 paid periods; the second, [150, 250), is already past:
    // to date 2000, recognize 2000 − 1000 = 1000. Exact to date 666.6, 666.6, 666.8 → floors 666 × 3 = 1998;
    // 2 leftover units to the largest deficits: C (.8), then A (.6, tie with B → lower address) →
    // cumulative 667, 666, 667 → increments A 334, B 333, C 333 (each within 1 of its exact share to date).
    const e3 = epoch(3, 300, 400, { ...base, deposits: [{ licenseId: L1, token: TOKEN, amount: "500" }] }, e2.state);
    expect([amountOf(e3, A), amountOf(e3, B), amountOf(e3, C)]).to.deep.equal([334n, 333n, 333n]);
    expect(e3.state.licenses[0]).to.deep.include({ deposited: 2000n, recognized: 2000n });
  });

  it("per-use: an escrow shortfall is paid pro rata, carried forward as owed and paid first next epoch", () => {
    const base: Partial<Raw> = {
      datasets: [
        { id: D1, contributors: [{ account: A, bps: 10000 }] },
        { id: D2, contributors: [{ account: B, bps: 10000 }] },
      ],
      licenses: [
        {
          id: L1,
          token: TOKEN,
          datasets: [
            { datasetId: D1, weight: 1 },
            { datasetId: D2, weight: 1 },
          ],
          model: { kind: "perUse", ratePerUnit: "3" },
        },
      ],
    };
    // Epoch 1: due D1 = 3·25 = 75, D2 = 3·20 = 60, Σ 135 > escrow 100.
    // Pro rata: D1 100·75/135 = 55.56, D2 100·60/135 = 44.44 → floors 55 + 44 = 99; leftover 1 to D1
    // (remainder .56 > .44) → D1 56, D2 44. Owed carried: D1 75 − 56 = 19, D2 60 − 44 = 16.
    const e1 = epoch(
      1,
      0,
      100,
      {
        ...base,
        deposits: [{ licenseId: L1, token: TOKEN, amount: "100" }],
        usage: [
          { licenseId: L1, datasetId: D1, epoch: 1, units: "25" },
          { licenseId: L1, datasetId: D2, epoch: 1, units: "20" },
        ],
      },
      null,
    );
    expect([amountOf(e1, A), amountOf(e1, B)]).to.deep.equal([56n, 44n]);
    expect(e1.state.licenses[0].owed).to.deep.equal([
      { datasetId: D1, amount: 19n },
      { datasetId: D2, amount: 16n },
    ]);
    expect(e1.report.tokens[0].carriedForward).to.deep.equal({ licenses: 1, amount: 35n });
    // Epoch 2: deposit 50; new usage D1 5 units = 15. Owed 35 is paid first (D1 19, D2 16), the
    // remaining 15 covers the new due on D1 → A 19 + 15 = 34, B 16; nothing owed.
    const e2 = epoch(
      2,
      100,
      200,
      {
        ...base,
        deposits: [{ licenseId: L1, token: TOKEN, amount: "50" }],
        usage: [{ licenseId: L1, datasetId: D1, epoch: 2, units: "5" }],
      },
      e1.state,
    );
    expect([amountOf(e2, A), amountOf(e2, B)]).to.deep.equal([34n, 16n]);
    // Cumulative = all usage ever: D1 3·(25+5) = 90, D2 3·20 = 60; all 150 deposited was drawn.
    expect([cumulativeOf(e2, A), cumulativeOf(e2, B)]).to.deep.equal([90n, 60n]);
    expect(e2.state.licenses[0]).to.deep.equal({
      licenseId: L1,
      token: TOKEN,
      deposited: 150n,
      recognized: 150n,
      refunded: 0n,
      credit: [],
      owed: [],
    });
  });

  it("revenue share: bps of the epoch's reported revenue, rounded down, ties between contributors go to the lower address", () => {
    const base: Partial<Raw> = {
      datasets: [
        {
          id: D1,
          contributors: [
            { account: B, bps: 5000 },
            { account: A, bps: 5000 },
          ],
        },
      ],
      licenses: [
        { id: L1, token: TOKEN, datasets: [{ datasetId: D1, weight: 1 }], model: { kind: "revenueShare", bps: 1250 } },
      ],
    };
    // Revenue 1000 + 1009 = 2009 in epoch 1 (the epoch-0 report is rejected, not counted).
    // Due ⌊2009 · 1250 / 10000⌋ = ⌊251.125⌋ = 251 ≤ escrow 1000. Split 50/50: 125.5 each → floors 125 + 125,
    // leftover 1 with equal remainders → lower address A → A 126, B 125.
    const e1 = epoch(
      1,
      0,
      100,
      {
        ...base,
        deposits: [{ licenseId: L1, token: TOKEN, amount: "1000" }],
        revenue: [
          { licenseId: L1, epoch: 1, revenue: "1000" },
          { licenseId: L1, epoch: 1, revenue: "1009" },
          { licenseId: L1, epoch: 0, revenue: "500" },
        ],
      },
      null,
    );
    expect([amountOf(e1, A), amountOf(e1, B)]).to.deep.equal([126n, 125n]);
    expect(e1.report.tokens[0].recognized.revenueShare).to.equal(251n);
    expect(e1.report.tokens[0].escrowBalance).to.equal(749n);
    expect(e1.report.rejected.revenueWrongEpoch).to.deep.equal({ count: 1, sum: 500n });
  });

  it("bundle: a license amount is split by dataset weight, then by contributor bps; an account in two datasets merges", () => {
    // Fee 1000 over D1 (weight 2) and D2 (weight 1): exact 666.67 and 333.33 → floors 666 + 333 = 999;
    // leftover 1 to D1 (remainder 2/3 > 1/3) → D1 667, D2 333.
    // D1 667 by A 70% / B 30%: exact 466.9 and 200.1 → 466 + 200 = 666; leftover 1 to A (.9) → A 467, B 200.
    // D2 333 all to B. B merges: 200 + 333 = 533. Check: 467 + 533 = 1000.
    const e1 = epoch(
      1,
      0,
      100,
      {
        datasets: [
          {
            id: D1,
            contributors: [
              { account: A, bps: 7000 },
              { account: B, bps: 3000 },
            ],
          },
          { id: D2, contributors: [{ account: B, bps: 10000 }] },
        ],
        licenses: [
          {
            id: L1,
            token: TOKEN,
            datasets: [
              { datasetId: D2, weight: 1 },
              { datasetId: D1, weight: 2 },
            ],
            model: { kind: "oneTime", fee: "1000" },
          },
        ],
        deposits: [{ licenseId: L1, token: TOKEN, amount: "1000" }],
      },
      null,
    );
    expect(e1.allocations).to.deep.equal([
      { account: A, token: TOKEN, amount: 467n, cumulative: 467n },
      { account: B, token: TOKEN, amount: 533n, cumulative: 533n },
    ]);
  });

  it("a license absent from a later input keeps its carried state, and its recipients keep their cumulative", () => {
    const base: Partial<Raw> = {
      datasets: [{ id: D1, contributors: [{ account: A, bps: 10000 }] }],
      licenses: [
        { id: L1, token: TOKEN, datasets: [{ datasetId: D1, weight: 1 }], model: { kind: "perUse", ratePerUnit: "2" } },
      ],
    };
    // Epoch 1: escrow 10, due 2·8 = 16 → 10 paid to A, 6 owed.
    const e1 = epoch(
      1,
      0,
      100,
      {
        ...base,
        deposits: [{ licenseId: L1, token: TOKEN, amount: "10" }],
        usage: [{ licenseId: L1, datasetId: D1, epoch: 1, units: "8" }],
      },
      null,
    );
    expect(amountOf(e1, A)).to.equal(10n);
    // Epoch 2 without the license: nothing recognized, the owed 6 and A's cumulative 10 carry over.
    const e2 = epoch(2, 100, 200, { datasets: base.datasets }, e1.state);
    expect(e2.allocations).to.deep.equal([{ account: A, token: TOKEN, amount: 0n, cumulative: 10n }]);
    expect(e2.state.licenses).to.deep.equal(e1.state.licenses);
    expect(e2.report.tokens[0].carriedForward).to.deep.equal({ licenses: 1, amount: 6n });
  });

  it("platform fee: the treasury's exact gross · bps / 10000 is rounded with everyone's, duplicate entries merge", () => {
    // Fee 999, platform 250 bps: treasury exact 999 · 250 / 10000 = 24.975; net 975.
    // A is listed twice (2500 + 2500 = 5000), B 5000: 487.5 each. Floors 24 + 487 + 487 = 998; the leftover
    // unit goes to the largest deficit, the treasury (.975 > .5) → treasury 25, A 487, B 487. Check: 999.
    // The report's platformFee is the exact fee rounded down (24).
    const e1 = allocate(
      parse({
        window: { epoch: 1, start: 0, end: 100 },
        platformFee: { bps: 250, treasury: TREASURY },
        datasets: [
          {
            id: D1,
            contributors: [
              { account: A, bps: 2500 },
              { account: B, bps: 5000 },
              { account: A, bps: 2500 },
            ],
          },
        ],
        licenses: [
          { id: L1, token: TOKEN, datasets: [{ datasetId: D1, weight: 1 }], model: { kind: "oneTime", fee: "999" } },
        ],
        deposits: [{ licenseId: L1, token: TOKEN, amount: "999" }],
        previous: null,
      }),
    );
    expect(e1.allocations).to.deep.equal([
      { account: A, token: TOKEN, amount: 487n, cumulative: 487n },
      { account: B, token: TOKEN, amount: 487n, cumulative: 487n },
      { account: TREASURY, token: TOKEN, amount: 25n, cumulative: 25n },
    ]);
    expect(e1.report.tokens[0].platformFee).to.equal(24n);
    expect(e1.totals[0].amount).to.equal(999n);
  });
});
