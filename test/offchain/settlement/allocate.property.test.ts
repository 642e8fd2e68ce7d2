/**
 * Property tests of the epoch driver over random multi-epoch scenarios (arbitraries.ts), each with
 * RUNS generated cases (500 by default; SETTLEMENT_FUZZ_RUNS raises it).
 */
import { expect } from "chai";
import fc from "fast-check";
import { getAddress, type Address } from "viem";
import type { LicenseState, SettlementInputRaw, SettlementState } from "../../../offchain/settlement";
import { RUNS, runScenario, scenarioArb, type EpochRun, type Scenario } from "./arbitraries";
import { seededRandom } from "../../../offchain/common/seeded-random";

function sumBy<T>(items: readonly T[], pick: (t: T) => bigint): bigint {
  let s = 0n;
  for (const i of items) s += pick(i);
  return s;
}

function statesById(state: SettlementState | null | undefined): Map<string, LicenseState> {
  return new Map((state?.licenses ?? []).map((l) => [l.licenseId, l]));
}

describe("settlement/allocate: properties", () => {
  it(`conserves value per token: Σ allocated = Σ recognized = Δ of license states, Σ cumulative = recognized to date; report names no id (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        let before: SettlementState | null = null;
        for (const { result } of runScenario(s)) {
          const prev = statesById(before);
          for (const total of result.totals) {
            const licenses = result.state.licenses.filter((l) => l.token === total.token);
            const recognizedDelta = sumBy(licenses, (l) => l.recognized - (prev.get(l.licenseId)?.recognized ?? 0n));
            const allocated = sumBy(
              result.allocations.filter((a) => a.token === total.token),
              (a) => a.amount,
            );
            const cumulative = sumBy(
              result.allocations.filter((a) => a.token === total.token),
              (a) => a.cumulative,
            );
            expect(allocated).to.equal(recognizedDelta);
            expect(total.amount).to.equal(recognizedDelta);
            expect(result.report.tokens.find((t) => t.token === total.token)!.recognized.total).to.equal(
              recognizedDelta,
            );
            expect(cumulative).to.equal(sumBy(licenses, (l) => l.recognized));
            expect(total.cumulative).to.equal(cumulative);
          }
          // The report is public: the only hex strings it may carry are token addresses.
          const hexes =
            JSON.stringify(result.report, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)).match(
              /0x[0-9a-fA-F]+/g,
            ) ?? [];
          for (const h of hexes) expect(result.totals.map((t) => t.token)).to.include(h);
          before = result.state;
        }
      }),
      { numRuns: RUNS },
    );
  });

  it(`never decreases a cumulative and keeps every previous (account, token) across consecutive epochs (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const runs = runScenario(s);
        for (let e = 1; e < runs.length; e++) {
          const next = new Map(runs[e].result.allocations.map((a) => [a.account + a.token, a]));
          for (const prev of runs[e - 1].result.allocations) {
            const now = next.get(prev.account + prev.token);
            expect(now, "previous account dropped").to.not.equal(undefined);
            expect(now!.amount >= 0n).to.equal(true);
            expect(now!.cumulative).to.equal(prev.cumulative + now!.amount);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it(`gives identical output when every input list is shuffled and addresses arrive checksummed (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(scenarioArb, fc.integer(), (s, seed) => {
        const baseline = runScenario(s).map((r) => r.result);
        const shuffled = runScenario(s, { transform: (raw) => scramble(raw, seed) }).map((r) => r.result);
        expect(shuffled).to.deep.equal(baseline);
      }),
      { numRuns: RUNS },
    );
  });

  it(`splits bundles within < 1 unit, keeps exact pool entitlements, and keeps every cumulative within < 1 unit of its exact share to date (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const exactToDate = new Map<string, bigint>();
        for (const { raw, result } of runScenario(s, { trace: true })) {
          checkStageOne(result, raw);
          checkStageTwo(result, raw, exactToDate);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it(`draws per-use and revenue-share amounts only from deposits, carrying the exact shortfall as owed (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(scenarioArb, (s) => checkEscrow(s, runScenario(s))),
      { numRuns: RUNS },
    );
  });
});

// --- stage checks ------------------------------------------------------------------------------

/** |amount − total·w/W| < 1  ⇔  |amount·W − total·w| < W. */
function withinOne(amount: bigint, total: bigint, weight: bigint, weightSum: bigint): boolean {
  const diff = amount * weightSum - total * weight;
  return (diff < 0n ? -diff : diff) < weightSum;
}

function checkStageOne(result: EpochRun["result"], raw: SettlementInputRaw): void {
  const trace = result.trace!;
  for (const l of trace.licenses) {
    expect(sumBy(l.perDataset, (d) => d.amount)).to.equal(l.total);
    const weightSum = sumBy(l.perDataset, (d) => d.weight);
    // Bundle-weight splits: one-time and subscription always; escrow models are checked in checkEscrow.
    if (l.kind === "oneTime" || l.kind === "subscription") {
      for (const d of l.perDataset)
        expect(withinOne(d.amount, l.total, d.weight, weightSum), `bundle share of ${d.datasetId}`).to.equal(true);
    }
  }
  expect(raw.window.epoch).to.equal(result.window.epoch);
}

const SCALE = 100_000_000n;

/**
 * Stage 2 keeps exact entitlements (× 10⁸): fee gross·feeBps·10⁴, contributor gross·(10⁴ − feeBps)·bps.
 * Stage 3 rounds the cumulative: every account's cumulative stays within < 1 unit of its exact
 * entitlement to date, rebuilt here from the pools of every epoch so far (`exactToDate`, mutated).
 */
function checkStageTwo(result: EpochRun["result"], raw: SettlementInputRaw, exactToDate: Map<string, bigint>): void {
  const trace = result.trace!;
  const feeBps = BigInt(raw.platformFee.bps);
  const treasury = raw.platformFee.treasury.toLowerCase();
  const add = (account: string, token: string, v: bigint) =>
    exactToDate.set(account + token, (exactToDate.get(account + token) ?? 0n) + v);
  for (const p of trace.pools) {
    expect(p.feeExact).to.equal(p.gross * feeBps * 10_000n);
    expect(sumBy(p.shares, (x) => x.bps)).to.equal(10_000n);
    for (const x of p.shares) expect(x.exact).to.equal(p.gross * (10_000n - feeBps) * x.bps);
    expect(p.feeExact + sumBy(p.shares, (x) => x.exact)).to.equal(p.gross * SCALE);
    // Stage 1 feeds stage 2: a pool is exactly the sum of the licenses' amounts on that dataset and token.
    const fed = sumBy(
      trace.licenses.filter((l) => l.token === p.token),
      (l) =>
        sumBy(
          l.perDataset.filter((d) => d.datasetId === p.datasetId),
          (d) => d.amount,
        ),
    );
    expect(fed).to.equal(p.gross);
    add(treasury, p.token, p.feeExact);
    for (const x of p.shares) add(x.account, p.token, x.exact);
  }
  for (const a of result.allocations) {
    const exact = exactToDate.get(a.account + a.token) ?? 0n;
    const diff = a.cumulative * SCALE - exact;
    expect((diff < 0n ? -diff : diff) < SCALE, `cumulative of ${a.account} within 1 unit of exact`).to.equal(true);
  }
}

function checkEscrow(s: Scenario, runs: EpochRun[]): void {
  let before: SettlementState | null = null;
  for (const [i, { raw, result }] of runs.entries()) {
    const e = i + 1;
    const prev = statesById(before);
    for (const lic of s.licenses) {
      const state = result.state.licenses.find((l) => l.licenseId === lic.id)!;
      const old = prev.get(lic.id);
      const accepted = sumBy(
        (raw.deposits ?? []).filter((d) => d.licenseId === lic.id && d.token === lic.token),
        (d) => BigInt(d.amount),
      );
      const deposited = (old?.deposited ?? 0n) + accepted;
      const drawn = state.recognized - (old?.recognized ?? 0n);
      expect(state.deposited).to.equal(deposited);
      expect(drawn >= 0n && state.recognized <= state.deposited, "never beyond deposits").to.equal(true);
      const m = lic.model;
      if (m.kind === "perUse" || m.kind === "revenueShare") {
        const due =
          m.kind === "perUse"
            ? sumBy(
                (raw.usage ?? []).filter((u) => u.licenseId === lic.id && u.epoch === e),
                (u) => BigInt(m.ratePerUnit) * BigInt(u.units),
              )
            : (sumBy(
                (raw.revenue ?? []).filter((r) => r.licenseId === lic.id && r.epoch === e),
                (r) => BigInt(r.revenue),
              ) *
                BigInt(m.bps)) /
              10_000n;
        const owedBefore = sumBy(old?.owed ?? [], (o) => o.amount);
        const owedAfter = sumBy(state.owed, (o) => o.amount);
        const credited =
          sumBy(old?.credit ?? [], (c) => c.amount) +
          sumBy(
            (raw.credits ?? []).filter((c) => c.licenseId === lic.id),
            (c) => BigInt(c.amount),
          ) -
          sumBy(state.credit, (c) => c.amount);
        expect(owedAfter, "owed = owed before + due − drawn − credit used").to.equal(
          owedBefore + due - drawn - credited,
        );
        if (owedAfter > 0n)
          expect(state.recognized + state.refunded, "a shortfall only when escrow is empty").to.equal(state.deposited);
      } else if (m.kind === "oneTime") {
        expect(state.recognized).to.equal(deposited >= BigInt(m.fee) ? BigInt(m.fee) : 0n);
      } else {
        // Period by period, independently of the engine's closed form.
        const fee = BigInt(m.feePerPeriod);
        let paid = deposited / fee;
        if (m.maxPeriods !== undefined && paid > BigInt(m.maxPeriods)) paid = BigInt(m.maxPeriods);
        let expected = 0n;
        for (let k = 0n; k < paid; k++) {
          const elapsed = BigInt(raw.window.end) - BigInt(m.start) - k * BigInt(m.periodSeconds);
          const clamped = elapsed < 0n ? 0n : elapsed > BigInt(m.periodSeconds) ? BigInt(m.periodSeconds) : elapsed;
          expected += (fee * clamped) / BigInt(m.periodSeconds);
        }
        expect(state.recognized).to.equal(expected);
      }
    }
    before = result.state;
  }
}

// --- scrambling --------------------------------------------------------------------------------

function shuffle<T>(items: readonly T[], next: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Same content, every list permuted, addresses checksummed and ids upper-cased at random. */
function scramble(raw: SettlementInputRaw, seed: number): SettlementInputRaw {
  const next = seededRandom(seed ^ raw.window.epoch);
  const a = (x: string): Address => (next() < 0.5 ? getAddress(x) : (x.toLowerCase() as Address));
  const h = (x: string) => (next() < 0.5 ? `0x${x.slice(2).toUpperCase()}` : x);
  const prev = raw.previous;
  return {
    ...raw,
    platformFee: { ...raw.platformFee, treasury: a(raw.platformFee.treasury) },
    datasets: shuffle(raw.datasets, next).map((d) => ({
      id: h(d.id),
      contributors: shuffle(d.contributors, next).map((c) => ({ ...c, account: a(c.account) })),
    })),
    licenses: shuffle(raw.licenses, next).map((l) => ({
      ...l,
      id: h(l.id),
      token: a(l.token),
      datasets: shuffle(l.datasets, next).map((d) => ({ ...d, datasetId: h(d.datasetId) })),
    })),
    deposits: shuffle(raw.deposits ?? [], next).map((d) => ({ ...d, licenseId: h(d.licenseId), token: a(d.token) })),
    usage: shuffle(raw.usage ?? [], next).map((u) => ({ ...u, licenseId: h(u.licenseId), datasetId: h(u.datasetId) })),
    revenue: shuffle(raw.revenue ?? [], next),
    previous:
      prev === null || prev === undefined
        ? null
        : {
            ...prev,
            cumulative: shuffle(prev.cumulative, next).map((c) => ({ ...c, account: a(c.account), token: a(c.token) })),
            licenses: shuffle(prev.licenses, next).map((l) => ({ ...l, owed: shuffle(l.owed ?? [], next) })),
          },
  };
}
