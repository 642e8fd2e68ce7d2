/**
 * Stage 1 of the split chain: a license's revenue for the epoch → amounts per licensed dataset.
 * - one-time, subscription: the license-level amount is split by bundle weight (largest remainder,
 *   ties by dataset id);
 * - revenue share: ⌊Σ revenue · bps / 10,000⌋ is split by bundle weight, then drawn from escrow;
 * - per-use: rate · units per dataset, drawn from escrow.
 * Every amount recognized is covered by confirmed deposits: recognized-to-date ≤ deposited-to-date.
 */
import type { EpochWindow, LicenseState, Owed } from "../types";
import type { BundleEntry, PreparedLicense } from "../validate";
import { largestRemainder } from "../split";
import { invariant } from "../errors";
import { recognizeOneTime } from "./oneTime";
import { recognizeSubscription } from "./subscription";
import { drawFromEscrow } from "./escrow";

export interface LicenseRecognition {
  /** Recognized this epoch per bundle position (aligned with `PreparedLicense.bundle`). */
  perDataset: bigint[];
  total: bigint;
  /** Owed carried forward after this epoch (Σ of `state.owed`). */
  owedTotal: bigint;
  state: LicenseState;
}

/** Split a license-level amount over its bundle by weight. */
export function splitByBundle(amount: bigint, bundle: readonly BundleEntry[]): bigint[] {
  if (bundle.length === 1) return [amount];
  if (amount === 0n) return bundle.map(() => 0n);
  return largestRemainder(amount, bundle.map((b) => ({ key: b.datasetId, weight: b.weight })));
}

function owedBefore(pl: PreparedLicense): bigint[] {
  const owed = pl.bundle.map(() => 0n);
  for (const o of pl.previous?.owed ?? []) {
    // validate.ts guarantees the dataset is in the bundle.
    owed[pl.bundle.findIndex((b) => b.datasetId === o.datasetId)] += o.amount;
  }
  return owed;
}

function dueThisEpoch(pl: PreparedLicense): bigint[] {
  const m = pl.license.model;
  if (m.kind === "perUse") {
    const due = pl.bundle.map(() => 0n);
    for (const u of pl.usage) due[pl.bundlePosition.get(u.datasetIndex)!] = m.ratePerUnit * u.units;
    return due;
  }
  if (m.kind === "revenueShare") return splitByBundle((pl.revenue * BigInt(m.bps)) / 10_000n, pl.bundle);
  return pl.bundle.map(() => 0n);
}

/** Recognize one license for the epoch and compute its next carried state. */
export function recognizeLicense(pl: PreparedLicense, window: EpochWindow): LicenseRecognition {
  const deposited = (pl.previous?.deposited ?? 0n) + pl.newDeposits;
  const recognizedBefore = pl.previous?.recognized ?? 0n;
  const m = pl.license.model;
  let perDataset: bigint[];
  let owed: bigint[] = [];
  let owedTotal = 0n;

  if (m.kind === "oneTime" || m.kind === "subscription") {
    const amount = m.kind === "oneTime" ? recognizeOneTime(m, deposited, recognizedBefore) : recognizeSubscription(m, deposited, recognizedBefore, window.end);
    perDataset = splitByBundle(amount, pl.bundle);
  } else {
    const hasOwed = (pl.previous?.owed.length ?? 0) > 0;
    const draw = drawFromEscrow(
      deposited - recognizedBefore,
      hasOwed ? owedBefore(pl) : pl.bundle.map(() => 0n),
      dueThisEpoch(pl),
      pl.bundle.map((b) => b.datasetId),
    );
    perDataset = draw.paid;
    owed = draw.owed;
    for (const o of owed) owedTotal += o;
  }

  let total = 0n;
  for (const a of perDataset) total += a;
  const recognized = recognizedBefore + total;
  invariant(recognized <= deposited, `license ${pl.license.id}: recognized ${recognized} exceeds deposited ${deposited}`);

  const owedList: Owed[] = [];
  for (let i = 0; i < owed.length; i++) if (owed[i] > 0n) owedList.push({ datasetId: pl.bundle[i].datasetId, amount: owed[i] });
  return {
    perDataset,
    total,
    owedTotal,
    state: { licenseId: pl.license.id, token: pl.license.token, deposited, recognized, owed: owedList },
  };
}
