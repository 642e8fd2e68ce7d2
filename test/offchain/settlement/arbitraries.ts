/**
 * Random multi-epoch settlement scenarios for the property tests. Small pools of accounts and
 * tokens make collisions likely (merged contributors, treasury also a contributor, licenses in
 * several tokens), and deposits are sometimes short so escrow shortfalls and owed carry-overs occur.
 */
import fc from "fast-check";
import type { Address, Hex } from "viem";
import {
  allocate,
  type SettlementInputRaw,
  type SettlementResult,
  type SettlementState,
} from "../../../offchain/settlement";
import { addr, id32, parse } from "./fixtures";

/** Runs per property; raise for long randomized runs: `SETTLEMENT_FUZZ_RUNS=20000 npx hardhat test ...`. */
export const RUNS = Number(process.env.SETTLEMENT_FUZZ_RUNS ?? 500);

export const ACCOUNTS: Address[] = [1, 2, 3, 4, 5, 6].map((n) => addr(n));
export const TOKENS: Address[] = [0x70, 0x71, 0x72].map((n) => addr(n));

type RawLicense = SettlementInputRaw["licenses"][number];
type RawDataset = SettlementInputRaw["datasets"][number];

export interface EpochFacts {
  end: number;
  deposits: NonNullable<SettlementInputRaw["deposits"]>;
  usage: NonNullable<SettlementInputRaw["usage"]>;
  revenue: NonNullable<SettlementInputRaw["revenue"]>;
}

export interface Scenario {
  feeBps: number;
  treasury: Address;
  datasets: RawDataset[];
  licenses: RawLicense[];
  epochs: EpochFacts[];
}

export type Gen = fc.GeneratorValue;

export function genDataset(g: Gen, index: number): RawDataset {
  const k = g(fc.integer, { min: 1, max: 4 });
  const cutArb: fc.Arbitrary<number[]> = fc.uniqueArray(fc.integer({ min: 1, max: 9_999 }), {
    minLength: k - 1,
    maxLength: k - 1,
  });
  // Half the datasets split (nearly) evenly, so equal remainders, and thus the tie-break, occur often.
  const even = Array.from({ length: k - 1 }, (_, i) => Math.floor((10_000 * (i + 1)) / k));
  const cuts = g(fc.boolean) ? even : [...g(() => cutArb)].sort((a, b) => a - b);
  const bounds = [0, ...cuts, 10_000];
  const contributors = [];
  for (let i = 0; i < k; i++)
    contributors.push({ account: g(fc.constantFrom, ...ACCOUNTS), bps: bounds[i + 1] - bounds[i] });
  return { id: id32(index + 1), contributors };
}

export function genModel(g: Gen): RawLicense["model"] {
  switch (g(fc.constantFrom, "oneTime", "subscription", "perUse", "revenueShare")) {
    case "oneTime":
      return { kind: "oneTime", fee: g(fc.bigInt, { min: 1n, max: 1_000_000n }) };
    case "subscription": {
      const finite = g(fc.boolean);
      return {
        kind: "subscription",
        feePerPeriod: g(fc.bigInt, { min: 1n, max: 100_000n }),
        periodSeconds: g(fc.integer, { min: 1, max: 150 }),
        start: g(fc.integer, { min: 0, max: 300 }),
        ...(finite ? { maxPeriods: g(fc.integer, { min: 1, max: 5 }) } : {}),
      };
    }
    case "perUse":
      return { kind: "perUse", ratePerUnit: g(fc.bigInt, { min: 1n, max: 1_000n }) };
    default:
      return { kind: "revenueShare", bps: g(fc.integer, { min: 1, max: 10_000 }) };
  }
}

export function genLicense(g: Gen, index: number, datasetCount: number): RawLicense {
  const all = Array.from({ length: datasetCount }, (_, i) => i);
  const chosen = g(fc.subarray, all, { minLength: 1 });
  return {
    id: id32(0x1000 + index),
    token: g(fc.constantFrom, ...TOKENS),
    datasets: chosen.map((d) => ({ datasetId: id32(d + 1), weight: g(fc.integer, { min: 1, max: 5 }) })),
    model: genModel(g),
  };
}

function genEpoch(g: Gen, epoch: number, previousEnd: number, licenses: RawLicense[]): EpochFacts {
  const facts: EpochFacts = {
    end: previousEnd + g(fc.integer, { min: 1, max: 200 }),
    deposits: [],
    usage: [],
    revenue: [],
  };
  for (const l of licenses) {
    const lid = l.id as Hex;
    for (let n = g(fc.integer, { min: 0, max: 2 }); n > 0; n--) {
      facts.deposits.push({ licenseId: lid, token: l.token, amount: g(fc.bigInt, { min: 0n, max: 300_000n }) });
    }
    if (g(fc.integer, { min: 0, max: 9 }) === 0)
      facts.deposits.push({ licenseId: lid, token: addr(0x7f), amount: 11n }); // wrong token
    if (l.model.kind === "perUse") {
      const used = g(
        fc.subarray,
        l.datasets.map((d) => d.datasetId),
      );
      for (const datasetId of used)
        facts.usage.push({ licenseId: lid, datasetId, epoch, units: g(fc.bigInt, { min: 0n, max: 500n }) });
    }
    if (l.model.kind === "revenueShare") {
      for (let n = g(fc.integer, { min: 0, max: 2 }); n > 0; n--)
        facts.revenue.push({ licenseId: lid, epoch, revenue: g(fc.bigInt, { min: 0n, max: 2_000_000n }) });
    }
  }
  if (g(fc.boolean)) facts.usage.push({ licenseId: id32(0xdead), datasetId: id32(1), epoch, units: 3n }); // unknown license
  return facts;
}

export const scenarioArb: fc.Arbitrary<Scenario> = fc.gen().map((g) => {
  const datasetCount = g(fc.integer, { min: 1, max: 4 });
  const datasets = Array.from({ length: datasetCount }, (_, i) => genDataset(g, i));
  const licenses = Array.from({ length: g(fc.integer, { min: 1, max: 5 }) }, (_, i) => genLicense(g, i, datasetCount));
  const epochs: EpochFacts[] = [];
  let end = g(fc.integer, { min: 0, max: 100 });
  const epochCount = g(fc.integer, { min: 1, max: 3 });
  for (let e = 1; e <= epochCount; e++) {
    const facts = genEpoch(g, e, end, licenses);
    epochs.push(facts);
    end = facts.end;
  }
  return {
    feeBps: g(fc.constantFrom, 0, 1, 250, 3_333, 10_000, g(fc.integer, { min: 0, max: 10_000 })),
    treasury: g(fc.constantFrom, ...ACCOUNTS, addr(0xfe)),
    datasets,
    licenses,
    epochs,
  };
});

/** Raw input of epoch `e` (1-based), given the previous state. */
export function epochInput(
  s: Scenario,
  e: number,
  start: number,
  previous: SettlementState | null,
): SettlementInputRaw {
  const facts = s.epochs[e - 1];
  return {
    window: { epoch: e, start, end: facts.end },
    platformFee: { bps: s.feeBps, treasury: s.treasury },
    datasets: s.datasets,
    licenses: s.licenses,
    deposits: facts.deposits,
    usage: facts.usage,
    revenue: facts.revenue,
    previous,
  };
}

export interface EpochRun {
  raw: SettlementInputRaw;
  result: SettlementResult & { trace?: import("../../../offchain/settlement").AllocationTrace };
}

/**
 * Settle every epoch of the scenario in order; `transform` may rewrite each raw input (shuffle it).
 * Epoch 1 starts at 0.
 */
export function runScenario(
  s: Scenario,
  options: { trace?: boolean; transform?: (raw: SettlementInputRaw) => SettlementInputRaw } = {},
): EpochRun[] {
  const runs: EpochRun[] = [];
  let previous: SettlementState | null = null;
  let start = 0;
  for (let e = 1; e <= s.epochs.length; e++) {
    let raw = epochInput(s, e, start, previous);
    if (options.transform) raw = options.transform(raw);
    const result = allocate(parse(raw), { trace: options.trace });
    runs.push({ raw, result });
    previous = result.state;
    start = s.epochs[e - 1].end;
  }
  return runs;
}
