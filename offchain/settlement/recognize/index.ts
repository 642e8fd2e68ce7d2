/**
 * Stage 1 of the split chain: a license's revenue for the epoch → amounts per licensed dataset.
 * - one-time, subscription: the license-level amount is split by bundle weight (largest remainder,
 *   ties by dataset id);
 * - revenue share: ⌊Σ revenue · bps / 10,000⌋ is split by bundle weight, then drawn from escrow;
 * - per-use: rate · units per dataset, drawn from escrow.
 * Every amount recognized is covered by confirmed deposits: recognized-to-date ≤ deposited-to-date.
 */
import type { EpochWindow, LicenseDataset, LicenseState, Owed } from "../types";
import type { PreparedLicense } from "../validate";
import { largestRemainder } from "../split";
import { invariant } from "../errors";
import { compareHex } from "../normalize";
import { recognizeOneTime } from "./oneTime";
import { recognizeSubscription } from "./subscription";
import { drawFromEscrow } from "./escrow";

export interface LicenseRecognition {
  /** Recognized this epoch per bundle position (aligned with `PreparedLicense.bundle`, input order). */
  perDataset: bigint[];
  total: bigint;
  /** Owed carried forward after this epoch (Σ of `state.owed`). */
  owedTotal: bigint;
  state: LicenseState;
}

/** Split a license-level amount over its bundle by weight. */
export function splitByBundle(amount: bigint, bundle: readonly LicenseDataset[]): bigint[] {
  if (bundle.length === 1) return [amount];
  if (amount === 0n) return bundle.map(() => 0n);
  return largestRemainder(
    amount,
    bundle.map((b) => ({ key: b.datasetId, weight: BigInt(b.weight) })),
  );
}

/** Owed from earlier epochs per bundle position, or null when nothing is owed (the common case). */
function owedBefore(pl: PreparedLicense): bigint[] | null {
  const list = pl.previous?.owed ?? [];
  if (list.length === 0) return null;
  const owed = new Array<bigint>(pl.bundle.length).fill(0n);
  // validate.ts guarantees each dataset is in the bundle.
  const position = new Map(pl.bundle.map((b, i) => [b.datasetId, i] as const)); // rare path: only licenses in arrears
  for (const o of list) owed[position.get(o.datasetId)!] += o.amount;
  return owed;
}

function dueThisEpoch(pl: PreparedLicense): bigint[] {
  const m = pl.license.model;
  if (m.kind === "perUse") return pl.usageDue ?? new Array<bigint>(pl.bundle.length).fill(0n);
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
    const amount =
      m.kind === "oneTime"
        ? recognizeOneTime(m, deposited, recognizedBefore)
        : recognizeSubscription(m, deposited, recognizedBefore, window.end);
    perDataset = splitByBundle(amount, pl.bundle);
  } else {
    const draw = drawFromEscrow(deposited - recognizedBefore, owedBefore(pl), dueThisEpoch(pl), () =>
      pl.bundle.map((b) => b.datasetId),
    );
    perDataset = draw.paid;
    owed = draw.owed;
    for (const o of owed) owedTotal += o;
  }

  let total = 0n;
  for (const a of perDataset) total += a;
  const recognized = recognizedBefore + total;
  invariant(
    recognized <= deposited,
    `license ${pl.license.id}: recognized ${recognized} exceeds deposited ${deposited}`,
  );

  const owedList: Owed[] = [];
  for (let i = 0; i < owed.length; i++)
    if (owed[i] > 0n) owedList.push({ datasetId: pl.bundle[i].datasetId, amount: owed[i] });
  owedList.sort((a, b) => compareHex(a.datasetId, b.datasetId));
  return {
    perDataset,
    total,
    owedTotal,
    state: { licenseId: pl.license.id, token: pl.license.token, deposited, recognized, owed: owedList },
  };
}
