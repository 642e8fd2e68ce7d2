/**
 * Deterministic (seeded) synthetic marketplace for the allocation benchmark:
 * 100,000 creators, 50,000 datasets (2–4 contributors each), 10,000 licenses in 3 tokens
 * (9,700 per-use with bundles of 103–104 datasets = exactly 1,000,000 (license, dataset) usage
 * aggregates per epoch; 100 each one-time, subscription and revenue share on bundles of 20),
 * and ~10% of per-use licenses under-funded so the escrow-shortfall path runs too.
 */
import type { Address, Hex } from "viem";
import type {
  ConfirmedDeposit,
  Dataset,
  License,
  RevenueReport,
  SettlementInput,
  SettlementState,
  UsageAggregate,
} from "../../offchain/settlement";
import { seededRandom } from "../../offchain/common/seeded-random";

export interface MarketShape {
  creators: number;
  datasets: number;
  licenses: number;
  perUseLicenses: number;
  usageAggregates: number;
  tokens: number;
}

export const FULL_SHAPE: MarketShape = {
  creators: 100_000,
  datasets: 50_000,
  licenses: 10_000,
  perUseLicenses: 9_700,
  usageAggregates: 1_000_000,
  tokens: 3,
};

const hex = (n: number, width: number) => `0x${n.toString(16).padStart(width, "0")}`;
const account = (n: number) => hex(0x100000 + n, 40) as Address;
const bytes32 = (prefix: number, n: number) =>
  `0x${prefix.toString(16).padStart(8, "0")}${n.toString(16).padStart(56, "0")}` as Hex;

export interface Market {
  shape: MarketShape;
  datasets: Dataset[];
  licenses: License[];
  tokens: Address[];
  treasury: Address;
}

function pickDistinct(next: () => number, range: number, count: number): number[] {
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(Math.floor(next() * range));
  return [...chosen];
}

export function buildMarket(shape: MarketShape, seed = 1): Market {
  const next = seededRandom(seed);
  const tokens = Array.from({ length: shape.tokens }, (_, i) => hex(0xe0000 + i, 40) as Address);
  const datasets: Dataset[] = [];
  for (let d = 0; d < shape.datasets; d++) {
    // Creators 2d and 2d+1 (mod creators) guarantee every creator contributes somewhere.
    const members = new Set([(2 * d) % shape.creators, (2 * d + 1) % shape.creators]);
    const extra = Math.floor(next() * 3);
    while (members.size < 2 + extra) members.add(Math.floor(next() * shape.creators));
    const ids = [...members];
    const base = Math.floor(10_000 / ids.length);
    datasets.push({
      id: bytes32(0xda7a, d),
      contributors: ids.map((c, i) => ({
        account: account(c),
        bps: i === 0 ? 10_000 - base * (ids.length - 1) : base,
      })),
      changes: [],
    });
  }
  const licenses: License[] = [];
  const perUseBundle = Math.floor(shape.usageAggregates / shape.perUseLicenses);
  const bigger = shape.usageAggregates - perUseBundle * shape.perUseLicenses;
  const others = shape.licenses - shape.perUseLicenses;
  for (let l = 0; l < shape.licenses; l++) {
    const perUse = l < shape.perUseLicenses;
    const size = perUse ? perUseBundle + (l < bigger ? 1 : 0) : Math.min(20, shape.datasets);
    const bundle = pickDistinct(next, shape.datasets, size).map((d) => ({
      datasetId: datasets[d].id,
      weight: 1 + Math.floor(next() * 4),
    }));
    const kind = perUse ? 0 : 1 + Math.floor(((l - shape.perUseLicenses) * 3) / Math.max(1, others));
    const model: License["model"] =
      kind === 0
        ? { kind: "perUse", ratePerUnit: BigInt(1 + Math.floor(next() * 1000)) * 10n ** 12n }
        : kind === 1
          ? { kind: "oneTime", fee: 5n * 10n ** 21n }
          : kind === 2
            ? { kind: "subscription", feePerPeriod: 10n ** 21n, periodSeconds: 30 * 86_400, start: 0 }
            : { kind: "revenueShare", bps: 500 };
    licenses.push({
      id: bytes32(0x11ce, l),
      token: tokens[l % shape.tokens],
      datasets: bundle,
      model,
      exclusivity: [],
    });
  }
  return { shape, datasets, licenses, tokens, treasury: hex(0xfee, 40) as Address };
}

/** One epoch of facts: usage on every per-use bundle entry, deposits (10% of per-use short), revenue. */
export function buildEpoch(market: Market, epoch: number, previous: SettlementState | null, seed = 1): SettlementInput {
  const next = seededRandom(seed * 7919 + epoch);
  const week = 7 * 86_400;
  const usage: UsageAggregate[] = [];
  const deposits: ConfirmedDeposit[] = [];
  const revenue: RevenueReport[] = [];
  for (const l of market.licenses) {
    let due = 0n;
    if (l.model.kind === "perUse") {
      for (const d of l.datasets) {
        const units = BigInt(1 + Math.floor(next() * 1_000_000));
        usage.push({ licenseId: l.id, datasetId: d.datasetId, epoch, units });
        due += units * l.model.ratePerUnit;
      }
      const short = next() < 0.1;
      deposits.push({ licenseId: l.id, token: l.token, amount: short ? due / 2n : due });
    } else if (l.model.kind === "revenueShare") {
      revenue.push({ licenseId: l.id, epoch, revenue: 10n ** 22n + BigInt(Math.floor(next() * 1e9)) });
      deposits.push({ licenseId: l.id, token: l.token, amount: 10n ** 21n });
    } else {
      deposits.push({ licenseId: l.id, token: l.token, amount: 10n ** 21n });
    }
  }
  return {
    window: { epoch, start: (epoch - 1) * week, end: epoch * week },
    platformFee: { bps: 250, treasury: market.treasury },
    datasets: market.datasets,
    licenses: market.licenses,
    deposits,
    usage,
    revenue,
    credits: [],
    lifecycle: { unknownLicenseGraceSeconds: 7 * 86_400, lateUsageGraceSeconds: 0 },
    previous,
  };
}
