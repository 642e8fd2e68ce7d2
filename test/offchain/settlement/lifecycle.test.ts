/**
 * Hand-checked examples of the money lifecycle (lifecycle.ts, held.ts, recognize/): every refund is a
 * cumulative leaf for the payer, in the same token and tree. Each expected number is derived in the
 * comment above it.
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
const BUYER = addr(0xb0b);
const OTHER_TOKEN = addr(0x71);
const D1 = id32(1);
const D2 = id32(2);
const L1 = id32(0x101);
const L2 = id32(0x102);
const DAY = 86_400;

type Raw = SettlementInputRaw;
type RawLicense = Raw["licenses"][number];

function run(n: number, start: number, end: number, rest: Partial<Raw>, previous: SettlementState | null) {
  return allocate(
    parse({
      window: { epoch: n, start, end },
      platformFee: { bps: 0, treasury: TREASURY },
      datasets: [{ id: D1, contributors: [{ account: A, bps: 10_000 }] }],
      licenses: [],
      ...rest,
      previous,
    }),
  );
}

function license(model: RawLicense["model"], extra: Partial<RawLicense> = {}): RawLicense {
  return { id: L1, token: TOKEN, datasets: [{ datasetId: D1, weight: 1 }], model, payer: BUYER, ...extra };
}

function escrow(result: SettlementResult, id = L1): bigint {
  const s = result.state.licenses.find((l) => l.licenseId === id)!;
  return s.deposited - s.recognized - s.refunded;
}

describe("settlement/lifecycle: refunds as leaves", () => {
  it("cancel mid-subscription: the current period runs to its end, the unstarted periods are refunded at once", () => {
    // 30-day periods from 0, term 4 periods, fee 300: the buyer deposits 1200 (all four periods).
    const sub = { kind: "subscription" as const, feePerPeriod: "300", periodSeconds: 30 * DAY, start: 0 };
    const base = license(sub, { endsAt: 120 * DAY });
    const e1 = run(
      1,
      0,
      10 * DAY,
      { licenses: [base], deposits: [{ licenseId: L1, token: TOKEN, amount: "1200" }] },
      null,
    );
    // Day 10: ⌊300 · 10/30⌋ = 100 recognized; nothing refunded yet.
    expect(amountOf(e1, A)).to.equal(100n);
    expect(amountOf(e1, BUYER)).to.equal(0n);
    // Cancelled on day 40 (inside period 2, [30, 60)): the term now ends on day 60, price 2 · 300 = 600.
    // Epoch 2 ends on day 45: recognized to date 300 + ⌊300 · 15/30⌋ = 450 → A +350.
    // Refund = deposited 1200 − term price 600 = 600 = the two unstarted periods (days 60–120), now.
    const cancelled = license(sub, { endsAt: 120 * DAY, cancelledAt: 40 * DAY });
    const e2 = run(2, 10 * DAY, 45 * DAY, { licenses: [cancelled] }, e1.state);
    expect(amountOf(e2, A)).to.equal(350n);
    expect(cumulativeOf(e2, BUYER)).to.equal(600n);
    expect(e2.report.tokens[0].refunded).to.equal(600n);
    // Epoch 3 to day 90: the current period ends on day 60 → A gets the remaining 150; nothing more refunded.
    const e3 = run(3, 45 * DAY, 90 * DAY, { licenses: [cancelled] }, e2.state);
    expect(amountOf(e3, A)).to.equal(150n);
    expect([cumulativeOf(e3, A), cumulativeOf(e3, BUYER)]).to.deep.equal([600n, 600n]);
    expect(escrow(e3)).to.equal(0n); // 1200 = 600 recognized + 600 refunded
  });

  it("45-day term at 30-day periods: the second period is 15 days and costs ⌊fee/2⌋, nothing stranded", () => {
    // Fee 300 per 30 days, term [0, 45 days): periods [0, 30) at 300 and [30, 45) at ⌊300 · 15/30⌋ = 150.
    // The buyer deposits 300 + 300 (as told, "again for later periods"): 600 − term price 450 = 150 refunded.
    const sub = license(
      { kind: "subscription", feePerPeriod: "300", periodSeconds: 30 * DAY, start: 0 },
      { endsAt: 45 * DAY },
    );
    const e1 = run(
      1,
      0,
      50 * DAY,
      {
        licenses: [sub],
        deposits: [
          { licenseId: L1, token: TOKEN, amount: "300" },
          { licenseId: L1, token: TOKEN, amount: "300" },
        ],
      },
      null,
    );
    expect(amountOf(e1, A)).to.equal(450n);
    expect(amountOf(e1, BUYER)).to.equal(150n);
    expect(escrow(e1)).to.equal(0n);
  });

  it("per-use: escrow left after the final usage window (end + late grace) is refunded, not before", () => {
    // Rate 2, deposit 100, license ends at 100, late usage accepted for 50 s after it.
    const perUse = license({ kind: "perUse", ratePerUnit: "2" }, { endsAt: 100 });
    const lifecycle = { unknownLicenseGraceSeconds: 0, lateUsageGraceSeconds: 50 };
    const e1 = run(
      1,
      0,
      100,
      {
        licenses: [perUse],
        lifecycle,
        deposits: [{ licenseId: L1, token: TOKEN, amount: "100" }],
        usage: [{ licenseId: L1, datasetId: D1, epoch: 1, units: "10" }],
      },
      null,
    );
    // 10 units · 2 = 20 to A; window end 100 < 100 + 50: nothing refunded, 80 in escrow.
    expect([amountOf(e1, A), amountOf(e1, BUYER), escrow(e1)]).to.deep.equal([20n, 0n, 80n]);
    // Epoch 2 [100, 160) ≥ 150: a late event (5 units = 10) is charged first, then 80 − 10 = 70 is refunded.
    const e2 = run(
      2,
      100,
      160,
      { licenses: [perUse], lifecycle, usage: [{ licenseId: L1, datasetId: D1, epoch: 2, units: "5" }] },
      e1.state,
    );
    expect([amountOf(e2, A), amountOf(e2, BUYER), escrow(e2)]).to.deep.equal([10n, 70n, 0n]);
    // A deposit arriving after the end is refunded as it arrives (cumulative 70 + 40 = 110).
    const e3 = run(
      3,
      160,
      200,
      { licenses: [perUse], lifecycle, deposits: [{ licenseId: L1, token: TOKEN, amount: "40" }] },
      e2.state,
    );
    expect(cumulativeOf(e3, BUYER)).to.equal(110n);
  });

  it("one-time: final once recognized; the overpayment is refunded; a license cancelled unpaid refunds everything", () => {
    // Fee 1000, deposits 1250 → 1000 to A, 250 refunded at once.
    const e1 = run(
      1,
      0,
      100,
      {
        licenses: [license({ kind: "oneTime", fee: "1000" })],
        deposits: [{ licenseId: L1, token: TOKEN, amount: "1250" }],
      },
      null,
    );
    expect([amountOf(e1, A), amountOf(e1, BUYER)]).to.deep.equal([1000n, 250n]);
    // Cancelling afterwards changes nothing: the fee is final.
    const e2 = run(
      2,
      100,
      200,
      { licenses: [license({ kind: "oneTime", fee: "1000" }, { cancelledAt: 150 })] },
      e1.state,
    );
    expect(e2.totals[0].amount).to.equal(0n);
    // Another license, 600 deposited of a 1000 fee, cancelled at 50: nothing recognized, 600 refunded.
    const unpaid = license({ kind: "oneTime", fee: "1000" }, { cancelledAt: 50 });
    const e3 = run(1, 0, 100, { licenses: [unpaid], deposits: [{ licenseId: L1, token: TOKEN, amount: "600" }] }, null);
    expect([amountOf(e3, A), amountOf(e3, BUYER)]).to.deep.equal([0n, 600n]);
  });

  it("a deposit in the wrong token is refunded to its payer at once, in that token", () => {
    const e1 = run(
      1,
      0,
      100,
      {
        licenses: [license({ kind: "oneTime", fee: "1000" })],
        deposits: [{ licenseId: L1, token: OTHER_TOKEN, amount: "77", payer: BUYER }],
      },
      null,
    );
    expect(amountOf(e1, BUYER, OTHER_TOKEN)).to.equal(77n);
    expect(e1.report.rejected.depositTokenMismatch).to.deep.equal({ count: 1, sum: 77n });
  });

  it("a deposit to an unknown license is held, joins its license if it appears, else is refunded after the grace", () => {
    const lifecycle = { unknownLicenseGraceSeconds: 7 * DAY, lateUsageGraceSeconds: 0 };
    const typo = { licenseId: id32(0xbad), token: TOKEN, amount: "500", payer: BUYER, at: DAY };
    const e1 = run(1, 0, 2 * DAY, { lifecycle, deposits: [typo] }, null);
    // Held: no leaf yet, visible in the report and the state.
    expect(e1.allocations).to.deep.equal([]);
    expect(e1.report.tokens[0].held).to.equal(500n);
    // Day 8 = 1 + 7: the grace is over → 500 refunded to the payer.
    const e2 = run(2, 2 * DAY, 8 * DAY, { lifecycle }, e1.state);
    expect(cumulativeOf(e2, BUYER)).to.equal(500n);
    expect(e2.state.held).to.deep.equal([]);
    // The same deposit for a license recorded late (before the grace ends): it pays that license.
    const late = { ...typo, licenseId: L2 };
    const f1 = run(1, 0, 2 * DAY, { lifecycle, deposits: [late] }, null);
    const f2 = run(
      2,
      2 * DAY,
      3 * DAY,
      { lifecycle, licenses: [license({ kind: "oneTime", fee: "500" }, { id: L2 })] },
      f1.state,
    );
    expect([amountOf(f2, A), amountOf(f2, BUYER)]).to.deep.equal([500n, 0n]);
  });

  it("a correction after close is a credit against later charges; the unused escrow is refunded at the end", () => {
    const perUse = license({ kind: "perUse", ratePerUnit: "1" }, { endsAt: 300 });
    const e1 = run(
      1,
      0,
      100,
      {
        licenses: [perUse],
        deposits: [{ licenseId: L1, token: TOKEN, amount: "100" }],
        usage: [{ licenseId: L1, datasetId: D1, epoch: 1, units: "30" }],
      },
      null,
    );
    expect(amountOf(e1, A)).to.equal(30n);
    // The buyer corrects 10 of those 30 units after close: A keeps 30 (cumulatives never decrease);
    // the next 25 units charge 25 − 10 = 15.
    const e2 = run(
      2,
      100,
      200,
      {
        licenses: [perUse],
        credits: [{ licenseId: L1, datasetId: D1, amount: "10" }],
        usage: [{ licenseId: L1, datasetId: D1, epoch: 2, units: "25" }],
      },
      e1.state,
    );
    expect([amountOf(e2, A), cumulativeOf(e2, A)]).to.deep.equal([15n, 45n]);
    // End at 300: refund 100 − 45 = 55 (the corrected 10 are in it).
    const e3 = run(3, 200, 300, { licenses: [perUse] }, e2.state);
    expect(amountOf(e3, BUYER)).to.equal(55n);
  });
});

describe("settlement/lifecycle: shares, isolation, rounding, veto", () => {
  it("a share change mid-epoch splits subscription time and usage event time exactly at the change", () => {
    // D1: A 100% until t = 60, then A 50% / B 50%.
    const datasets = [
      {
        id: D1,
        contributors: [{ account: A, bps: 10_000 }],
        changes: [
          {
            at: 60,
            contributors: [
              { account: A, bps: 5000 },
              { account: B, bps: 5000 },
            ],
          },
        ],
      },
    ];
    // Subscription fee 1000 per 100 s from 0, paid: [0, 60) = 600 → A; [60, 100) = 400 → A 200, B 200.
    const sub = license({ kind: "subscription", feePerPeriod: "1000", periodSeconds: 100, start: 0 });
    const s = run(
      1,
      0,
      100,
      { datasets, licenses: [sub], deposits: [{ licenseId: L1, token: TOKEN, amount: "1000" }] },
      null,
    );
    expect([amountOf(s, A), amountOf(s, B)]).to.deep.equal([800n, 200n]);
    // Per-use rate 1: 30 units before the change (→ A), 40 after (→ 20 / 20).
    const perUse = license({ kind: "perUse", ratePerUnit: "1" });
    const u = run(
      1,
      0,
      100,
      {
        datasets,
        licenses: [perUse],
        deposits: [{ licenseId: L1, token: TOKEN, amount: "1000" }],
        usage: [
          { licenseId: L1, datasetId: D1, epoch: 1, units: "30", at: 10 },
          { licenseId: L1, datasetId: D1, epoch: 1, units: "40", at: 70 },
        ],
      },
      null,
    );
    expect([amountOf(u, A), amountOf(u, B)]).to.deep.equal([50n, 20n]);
  });

  it("a dataset naming the zero address is skipped and reported; every other dataset is paid", () => {
    const zero = "0x0000000000000000000000000000000000000000";
    const result = run(
      1,
      0,
      100,
      {
        datasets: [
          { id: D1, contributors: [{ account: A, bps: 10_000 }] },
          { id: D2, contributors: [{ account: zero, bps: 10_000 }] },
        ],
        licenses: [
          license({ kind: "oneTime", fee: "100" }),
          license({ kind: "perUse", ratePerUnit: "1" }, { id: L2, datasets: [{ datasetId: D2, weight: 1 }] }),
        ],
        deposits: [
          { licenseId: L1, token: TOKEN, amount: "100" },
          { licenseId: L2, token: TOKEN, amount: "50" },
        ],
        usage: [{ licenseId: L2, datasetId: D2, epoch: 1, units: "7" }],
      },
      null,
    );
    expect(amountOf(result, A)).to.equal(100n);
    expect(result.skipped.datasets.map((d) => [d.id, d.reason])).to.deep.equal([[D2, "invalidContributor"]]);
    expect(result.skipped.licenses).to.deep.equal([{ id: L2, reason: "datasetSkipped" }]);
    // L2's usage is not lost: 7 units owed on D2, its 50 deposited kept in escrow.
    expect(result.state.licenses.find((l) => l.licenseId === L2)).to.deep.include({
      deposited: 50n,
      recognized: 0n,
      owed: [{ datasetId: D2, amount: 7n }],
    });
  });

  it("rounds cumulatives, not increments: ten epochs of 1 unit into a 50/50 pool end at 5 and 5", () => {
    const datasets = [
      {
        id: D1,
        contributors: [
          { account: A, bps: 5000 },
          { account: B, bps: 5000 },
        ],
      },
    ];
    const perUse = license({ kind: "perUse", ratePerUnit: "1" });
    let state: SettlementState | null = null;
    const seen: [bigint, bigint][] = [];
    for (let e = 1; e <= 10; e++) {
      const r = run(
        e,
        (e - 1) * 10,
        e * 10,
        {
          datasets,
          licenses: [perUse],
          deposits: e === 1 ? [{ licenseId: L1, token: TOKEN, amount: "10" }] : [],
          usage: [{ licenseId: L1, datasetId: D1, epoch: e, units: "1" }],
        },
        state,
      );
      seen.push([cumulativeOf(r, A) ?? 0n, cumulativeOf(r, B) ?? 0n]);
      state = r.state;
    }
    // Exact to date after epoch e: e/2 each. Odd e: the tie goes to A (lower address) → ((e+1)/2, (e−1)/2);
    // even e: (e/2, e/2). Per-epoch rounding would have given A all ten.
    expect(seen).to.deep.equal(
      Array.from({ length: 10 }, (_, i) => {
        const e = BigInt(i + 1);
        return e % 2n === 1n ? [(e + 1n) / 2n, (e - 1n) / 2n] : [e / 2n, e / 2n];
      }),
    );
  });

  it("a vetoed epoch is recomputed from the last state that stood, with the corrected usage", () => {
    const perUse = license({ kind: "perUse", ratePerUnit: "1" });
    const e1 = run(1, 0, 100, { licenses: [perUse], deposits: [{ licenseId: L1, token: TOKEN, amount: "100" }] }, null);
    // Epoch 2 [100, 200) billed 40 units; the guardian vetoes it.
    const vetoed = run(
      2,
      100,
      200,
      { licenses: [perUse], usage: [{ licenseId: L1, datasetId: D1, epoch: 2, units: "40" }] },
      e1.state,
    );
    expect(amountOf(vetoed, A)).to.equal(40n);
    // The buyer corrects the events to 25 units; epoch 3 covers [100, 300) from epoch 1's state.
    const e3 = run(
      3,
      100,
      300,
      { licenses: [perUse], usage: [{ licenseId: L1, datasetId: D1, epoch: 3, units: "25" }] },
      e1.state,
    );
    expect([amountOf(e3, A), cumulativeOf(e3, A)]).to.deep.equal([25n, 25n]);
    expect(escrow(e3)).to.equal(75n);
  });
});
