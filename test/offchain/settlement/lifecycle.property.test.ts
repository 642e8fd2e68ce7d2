/**
 * Property tests of the money lifecycle over random sequences of epochs with cancellations, license
 * ends, corrections (credits), vetoes (an epoch discarded and recomputed from the last state that
 * stood), share changes, wrong-token and unknown-license deposits and a sometimes-invalid dataset.
 * RUNS cases each (500 by default; SETTLEMENT_FUZZ_RUNS raises it).
 */
import { expect } from "chai";
import fc from "fast-check";
import type { Address, Hex } from "viem";
import {
  allocate,
  type AllocationTrace,
  type SettlementInputRaw,
  type SettlementResult,
  type SettlementState,
} from "../../../offchain/settlement";
import { ACCOUNTS, genDataset, genLicense, RUNS, TOKENS, type Gen } from "./arbitraries";
import { addr, id32, parse } from "./fixtures";

type RawLicense = SettlementInputRaw["licenses"][number];
type RawDataset = SettlementInputRaw["datasets"][number];
type Contributors = RawDataset["contributors"];

const SCALE = 100_000_000n;
const PAYERS: Address[] = [addr(0xb1), addr(0xb2), ACCOUNTS[0]];
const UNKNOWN = id32(0xdead);

interface History {
  id: Hex;
  base: Contributors;
  changes: { at: number; contributors: Contributors }[];
}

interface Facts {
  end: number;
  deposits: NonNullable<SettlementInputRaw["deposits"]>;
  usage: { licenseId: Hex; datasetId: Hex; units: bigint; at: number }[];
  revenue: NonNullable<SettlementInputRaw["revenue"]>;
  credits: NonNullable<SettlementInputRaw["credits"]>;
  cancel: { licenseId: Hex; at: number } | undefined;
  vetoed: boolean;
}

interface LifeScenario {
  feeBps: number;
  treasury: Address;
  datasets: History[];
  licenses: RawLicense[];
  epochs: Facts[];
  lifecycle: { unknownLicenseGraceSeconds: number; lateUsageGraceSeconds: number };
  shareChanges: boolean;
}

function genHistory(g: Gen, index: number, withChanges: boolean): History {
  const base = genDataset(g, index);
  const changes: History["changes"] = [];
  if (withChanges) {
    const times: number[] = g(() => fc.uniqueArray(fc.integer({ min: 1, max: 600 }), { maxLength: 2 }));
    for (const at of [...times].sort((a, b) => a - b))
      changes.push({ at, contributors: genDataset(g, index).contributors });
  }
  // Now and then a dataset no engine could settle (one tenant's bad data): shares summing to 9,999.
  if (g(fc.integer, { min: 0, max: 14 }) === 0) base.contributors = [{ account: ACCOUNTS[1], bps: 9_999 }];
  return { id: base.id as Hex, base: base.contributors, changes };
}

function genFacts(g: Gen, start: number, licenses: RawLicense[], last: boolean): Facts {
  const end = start + g(fc.integer, { min: 1, max: 200 });
  const f: Facts = { end, deposits: [], usage: [], revenue: [], credits: [], cancel: undefined, vetoed: false };
  const at = () => g(fc.integer, { min: start, max: end - 1 });
  const payer = () => g(fc.constantFrom, ...PAYERS);
  for (const l of licenses) {
    const lid = l.id as Hex;
    for (let n = g(fc.integer, { min: 0, max: 2 }); n > 0; n--)
      f.deposits.push({
        licenseId: lid,
        token: l.token,
        amount: g(fc.bigInt, { min: 0n, max: 300_000n }),
        payer: payer(),
        at: at(),
      });
    if (g(fc.integer, { min: 0, max: 9 }) === 0)
      f.deposits.push({ licenseId: lid, token: addr(0x7f), amount: 11n, payer: payer(), at: at() }); // wrong token
    if (l.model.kind === "perUse")
      for (const d of g(
        fc.subarray,
        l.datasets.map((x) => x.datasetId as Hex),
      ))
        f.usage.push({ licenseId: lid, datasetId: d, units: g(fc.bigInt, { min: 0n, max: 500n }), at: at() });
    if (l.model.kind === "revenueShare")
      for (let n = g(fc.integer, { min: 0, max: 2 }); n > 0; n--) {
        const named = g(fc.boolean) ? { datasetId: g(fc.constantFrom, ...l.datasets.map((x) => x.datasetId)) } : {};
        f.revenue.push({
          licenseId: lid,
          epoch: 0,
          revenue: g(fc.bigInt, { min: 0n, max: 2_000_000n }),
          at: at(),
          ...named,
        });
      }
    if ((l.model.kind === "perUse" || l.model.kind === "revenueShare") && g(fc.integer, { min: 0, max: 4 }) === 0)
      f.credits.push({
        licenseId: lid,
        datasetId: l.datasets[0].datasetId,
        amount: g(fc.bigInt, { min: 1n, max: 5_000n }),
      });
  }
  if (g(fc.boolean)) f.deposits.push({ licenseId: UNKNOWN, token: TOKENS[0], amount: 5n, payer: payer(), at: at() });
  if (g(fc.integer, { min: 0, max: 2 }) === 0)
    f.cancel = { licenseId: g(fc.constantFrom, ...licenses.map((l) => l.id as Hex)), at: at() };
  f.vetoed = !last && g(fc.integer, { min: 0, max: 3 }) === 0;
  return f;
}

const lifeScenarioArb: fc.Arbitrary<LifeScenario> = fc.gen().map((g) => {
  const shareChanges = g(fc.boolean);
  const datasetCount = g(fc.integer, { min: 1, max: 3 });
  const datasets = Array.from({ length: datasetCount }, (_, i) => genHistory(g, i, shareChanges));
  const licenses = Array.from({ length: g(fc.integer, { min: 1, max: 5 }) }, (_, i) => {
    const l = genLicense(g, i, datasetCount);
    const payer = g(fc.constantFrom, ...PAYERS, undefined, TOKENS[0]); // a token is never a valid payer
    return {
      ...l,
      ...(payer !== undefined ? { payer } : {}),
      ...(g(fc.boolean) ? { endsAt: g(fc.integer, { min: 0, max: 800 }) } : {}),
    };
  });
  const epochs: Facts[] = [];
  let start = 0;
  const count = g(fc.integer, { min: 1, max: 5 });
  for (let e = 1; e <= count; e++) {
    const f = genFacts(g, start, licenses, e === count);
    epochs.push(f);
    start = f.end;
  }
  return {
    feeBps: g(fc.constantFrom, 0, 250, 3_333, g(fc.integer, { min: 0, max: 10_000 })),
    treasury: g(fc.constantFrom, ...ACCOUNTS, addr(0xfe)),
    datasets,
    licenses,
    epochs,
    lifecycle: {
      unknownLicenseGraceSeconds: g(fc.integer, { min: 0, max: 300 }),
      lateUsageGraceSeconds: g(fc.integer, { min: 0, max: 100 }),
    },
    shareChanges,
  };
});

/** The dataset as the service would pass it for [start, end): shares in effect at start, changes inside. */
function datasetFor(h: History, start: number, end: number): RawDataset {
  let base = h.base;
  for (const c of h.changes) if (c.at <= start) base = c.contributors;
  return { id: h.id, contributors: base, changes: h.changes.filter((c) => c.at > start && c.at < end) };
}

function segmentKey(h: History | undefined, at: number): number {
  let k = 0;
  for (const c of h?.changes ?? []) if (c.at <= at) k = c.at;
  return k;
}

interface LiveRun {
  raw: SettlementInputRaw;
  result: SettlementResult & { trace?: AllocationTrace };
}

/**
 * Settle the scenario: a vetoed epoch's result is discarded and its facts (deposits, usage, revenue,
 * credits) return to the pool of the next close, which starts from the last state that stood.
 */
function runLife(s: LifeScenario): LiveRun[] {
  const live: LiveRun[] = [];
  let previous: SettlementState | null = null;
  let pending: Facts[] = [];
  const cancels = new Map<Hex, number>();
  for (let e = 1; e <= s.epochs.length; e++) {
    const f = s.epochs[e - 1];
    if (f.cancel && !cancels.has(f.cancel.licenseId)) cancels.set(f.cancel.licenseId, f.cancel.at);
    pending = [...pending, f];
    const start = previous?.epochEnd ?? 0;
    // Usage is aggregated per (license, dataset, share period), as the service groups it.
    const usage = new Map<string, { licenseId: Hex; datasetId: Hex; epoch: number; units: bigint; at: number }>();
    for (const u of pending.flatMap((p) => p.usage)) {
      const key = `${u.licenseId}${u.datasetId}${segmentKey(
        s.datasets.find((d) => d.id === u.datasetId),
        u.at,
      )}`;
      const row = usage.get(key);
      if (row) {
        row.units += u.units;
        row.at = Math.min(row.at, u.at);
      } else usage.set(key, { ...u, epoch: e });
    }
    const raw: SettlementInputRaw = {
      window: { epoch: e, start, end: f.end },
      platformFee: { bps: s.feeBps, treasury: s.treasury },
      datasets: s.datasets.map((h) => datasetFor(h, start, f.end)),
      licenses: s.licenses.map((l) => (cancels.has(l.id as Hex) ? { ...l, cancelledAt: cancels.get(l.id as Hex) } : l)),
      deposits: pending.flatMap((p) => p.deposits),
      usage: [...usage.values()],
      revenue: pending.flatMap((p) => p.revenue).map((r) => ({ ...r, epoch: e })),
      credits: pending.flatMap((p) => p.credits),
      lifecycle: s.lifecycle,
      previous,
    };
    const result = allocate(parse(raw), { trace: true });
    if (f.vetoed) continue;
    live.push({ raw, result });
    previous = result.state;
    pending = [];
  }
  return live;
}

function sum<T>(items: readonly T[], pick: (t: T) => bigint): bigint {
  let total = 0n;
  for (const i of items) total += pick(i);
  return total;
}

describe("settlement/lifecycle: properties", () => {
  it(`conserves money per token and per license: deposits = recognized + refunded + escrow, exactly (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(lifeScenarioArb, (s) => {
        const depositedByToken = new Map<string, bigint>();
        let before: SettlementState | null = null;
        for (const { raw, result } of runLife(s)) {
          for (const d of raw.deposits ?? [])
            depositedByToken.set(d.token, (depositedByToken.get(d.token) ?? 0n) + BigInt(d.amount));
          const state = result.state;
          for (const l of state.licenses) {
            expect(l.recognized + l.refunded <= l.deposited, `license ${l.licenseId} escrow ≥ 0`).to.equal(true);
          }
          for (const [token, deposited] of depositedByToken) {
            // Entries that are all zero are left out of the ledger.
            const entry = state.ledger!.find((e) => e.token === token) ?? {
              token,
              deposited: 0n,
              recognized: 0n,
              refunded: 0n,
            };
            const licenses = state.licenses.filter((l) => l.token === token);
            const escrow = sum(licenses, (l) => l.deposited - l.recognized - l.refunded);
            const held = sum(
              state.held.filter((h) => h.token === token),
              (h) => h.amount,
            );
            // Every deposit ever confirmed (in the epochs that stood) is recognized, refunded, in escrow or held.
            expect(entry.deposited).to.equal(deposited);
            expect(entry.deposited).to.equal(entry.recognized + entry.refunded + escrow + held);
            expect(entry.recognized).to.equal(sum(licenses, (l) => l.recognized));
            // The leaves hold exactly what was recognized and refunded, for this epoch and to date.
            const leaves = result.allocations.filter((a) => a.token === token);
            const prevEntry = before?.ledger?.find((e) => e.token === token);
            expect(sum(leaves, (a) => a.amount)).to.equal(
              entry.recognized + entry.refunded - (prevEntry ? prevEntry.recognized + prevEntry.refunded : 0n),
            );
            expect(sum(leaves, (a) => a.cumulative)).to.equal(entry.recognized + entry.refunded);
            expect(
              sum(
                result.trace!.refunds.filter((r) => r.token === token),
                (r) => r.amount,
              ),
            ).to.equal(entry.refunded - (prevEntry?.refunded ?? 0n));
          }
          before = state;
        }
      }),
      { numRuns: RUNS },
    );
  });

  it(`never decreases a leaf's cumulative across the epochs that stood, vetoes included (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(lifeScenarioArb, (s) => {
        const runs = runLife(s);
        for (let e = 1; e < runs.length; e++) {
          const next = new Map(runs[e].result.allocations.map((a) => [a.account + a.token, a]));
          for (const prev of runs[e - 1].result.allocations) {
            const now = next.get(prev.account + prev.token);
            expect(now, "previous leaf dropped").to.not.equal(undefined);
            expect(now!.cumulative).to.equal(prev.cumulative + now!.amount);
            expect(now!.amount >= 0n).to.equal(true);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it(`keeps each account's cumulative within 1 unit of its exact share to date (2 across share changes) (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(lifeScenarioArb, (s) => {
        const exact = new Map<string, bigint>();
        const add = (account: string, token: string, v: bigint) =>
          exact.set(account + token, (exact.get(account + token) ?? 0n) + v);
        for (const { raw, result } of runLife(s)) {
          const trace = result.trace!;
          const feeBps = BigInt(raw.platformFee.bps);
          for (const p of trace.pools) {
            // The recipients of a pool are the dataset's shares of that share period, rebuilt from the input.
            const d = raw.datasets.find((x) => x.id === p.datasetId)!;
            const lists = [
              d.contributors,
              ...[...(d.changes ?? [])].sort((a, b) => a.at - b.at).map((c) => c.contributors),
            ];
            const merged = new Map<string, bigint>();
            for (const c of lists[p.segment]) merged.set(c.account, (merged.get(c.account) ?? 0n) + BigInt(c.bps));
            expect(p.shares.map((x) => [x.account, x.bps])).to.deep.equal(
              [...merged].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
            );
            add(raw.platformFee.treasury, p.token, p.gross * feeBps * 10_000n);
            for (const [account, bps] of merged) add(account, p.token, p.gross * (10_000n - feeBps) * bps);
          }
          for (const r of trace.refunds) add(r.account, r.token, r.amount * SCALE);
          const bound = s.shareChanges ? 2n * SCALE : SCALE;
          for (const a of result.allocations) {
            const diff = a.cumulative * SCALE - (exact.get(a.account + a.token) ?? 0n);
            expect((diff < 0n ? -diff : diff) < bound, `${a.account} off its exact share by ${diff}/10⁸`).to.equal(
              true,
            );
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it(`leaves nothing stranded: a license over (term, cancel, final usage window) with a valid payer holds no escrow (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(lifeScenarioArb, (s) => {
        for (const { raw, result } of runLife(s)) {
          const end = raw.window.end;
          for (const l of raw.licenses) {
            if (l.payer === undefined || !PAYERS.includes(l.payer as Address)) continue;
            if (result.skipped.licenses.some((x) => x.id === l.id)) continue;
            const state = result.state.licenses.find((x) => x.licenseId === l.id);
            if (!state) continue;
            const stop = Math.min(l.endsAt ?? Number.POSITIVE_INFINITY, l.cancelledAt ?? Number.POSITIVE_INFINITY);
            const m = l.model;
            let over: boolean;
            if (m.kind === "perUse" || m.kind === "revenueShare")
              over = end >= stop + s.lifecycle.lateUsageGraceSeconds;
            else if (m.kind === "oneTime") over = stop <= end || state.recognized > 0n;
            else {
              const cancelEnd =
                l.cancelledAt === undefined
                  ? Number.POSITIVE_INFINITY
                  : l.cancelledAt <= m.start
                    ? m.start
                    : m.start + Math.ceil((l.cancelledAt - m.start) / m.periodSeconds) * m.periodSeconds;
              const maxEnd =
                m.maxPeriods === undefined ? Number.POSITIVE_INFINITY : m.start + m.maxPeriods * m.periodSeconds;
              over = end >= Math.min(l.endsAt ?? Number.POSITIVE_INFINITY, cancelEnd, maxEnd);
            }
            if (over) expect(state.deposited - state.recognized - state.refunded, `escrow of ${l.id}`).to.equal(0n);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });
});
