/**
 * Stage 1 of the split chain: a license's revenue for the epoch → amounts per licensed dataset.
 * - one-time, subscription: the license-level amount is split by bundle weight (largest remainder,
 *   ties by dataset id);
 * - revenue share: ⌊Σ revenue · bps / 10,000⌋ is split by bundle weight (or charged on the dataset a
 *   report names), then drawn from escrow;
 * - per-use: rate · units per dataset, drawn from escrow.
 * Corrections after close (credits) are set against owed, then against this epoch's due; then refunds
 * (lifecycle.ts). Every amount recognized or refunded is covered by confirmed deposits:
 * recognized + refunded ≤ deposited, to date.
 *
 * Share periods: on a dataset whose shares change inside the window, each position's amount is also
 * split by time (subscription time, one-time recognition time, usage event time), so the pool stage
 * can split each piece by the shares then in effect. Owed from earlier epochs, paid now, counts at the
 * window's start.
 */
import type { Hex } from "viem";
import type { EpochWindow, LicenseDataset, LicenseState, Owed } from "../types";
import { segmentAt, type PreparedEpoch, type PreparedLicense } from "../validate";
import { largestRemainder } from "../split";
import { invariant, SettlementError } from "../errors";
import { compareHex } from "../normalize";
import { recognizeOneTime } from "./oneTime";
import { subscriptionRecognizedToDate } from "./subscription";
import { drawFromEscrow } from "./escrow";
import { oneTimeLive, refundDue, subscriptionTermEnd } from "../lifecycle";

export interface LicenseRecognition {
  /** Recognized this epoch per bundle position (aligned with `PreparedLicense.bundle`, input order). */
  perDataset: bigint[];
  /** Per position, its amount per share period (Σ = perDataset[i]); null: all in the period at the window start. */
  segmented: { seg: number; amount: bigint }[][] | null;
  total: bigint;
  /** Owed carried forward after this epoch (Σ of `state.owed`). */
  owedTotal: bigint;
  /** Refunded to the payer this epoch. */
  refund: bigint;
  /** Refundable this epoch but held back: the license has no valid payer. */
  unrefundable: bigint;
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

/** Per bundle position, from a list keyed by dataset id (owed, credit); null when the list is empty. */
function byPosition(pl: PreparedLicense, list: readonly Owed[]): bigint[] | null {
  if (list.length === 0) return null;
  const out = new Array<bigint>(pl.bundle.length).fill(0n);
  // validate.ts guarantees owed datasets are in the bundle; credits were checked by ingest.ts.
  const position = new Map(pl.bundle.map((b, i) => [b.datasetId, i] as const)); // rare path
  for (const o of list) {
    const p = position.get(o.datasetId);
    if (p !== undefined) out[p] += o.amount;
  }
  return out;
}

function toList(pl: PreparedLicense, amounts: readonly bigint[]): Owed[] {
  const list: Owed[] = [];
  for (let i = 0; i < amounts.length; i++)
    if (amounts[i] > 0n) list.push({ datasetId: pl.bundle[i].datasetId, amount: amounts[i] });
  return list.sort((a, b) => compareHex(a.datasetId, b.datasetId));
}

/** Due this epoch per position, with the share-period weights of each position when they matter. */
function dueThisEpoch(pl: PreparedLicense, epoch: PreparedEpoch): { due: bigint[]; parts: Map<number, bigint>[] } {
  const m = pl.license.model;
  const n = pl.bundle.length;
  const parts: Map<number, bigint>[] = [];
  if (m.kind === "perUse") {
    const due = pl.usageDue ?? new Array<bigint>(n).fill(0n);
    if (pl.usageTimed) for (let i = 0; i < n; i++) if (pl.usageTimed[i]) parts[i] = pl.usageTimed[i]!;
    return { due, parts };
  }
  if (m.kind !== "revenueShare") return { due: new Array<bigint>(n).fill(0n), parts };
  const bps = BigInt(m.bps);
  const due = splitByBundle((pl.revenue * bps) / 10_000n, pl.bundle);
  if (pl.revenueByDataset) {
    const start = epoch.input.window.start;
    for (const [position, bySeg] of pl.revenueByDataset) {
      const d = pl.skipped ? undefined : epoch.datasets[pl.bundleDatasets[position]];
      const map = new Map<number, bigint>();
      if (due[position] > 0n && d) map.set(segmentAt(d, start), due[position]);
      for (const [seg, revenue] of bySeg) {
        const share = (revenue * bps) / 10_000n; // one rounding per (dataset, share period): buyer's favour
        due[position] += share;
        map.set(seg, (map.get(seg) ?? 0n) + share);
      }
      parts[position] = map;
    }
  }
  return { due, parts };
}

/** Split a position's amount over share periods in proportion to `parts` (largest remainder, ties by period). */
function splitBySegment(amount: bigint, parts: Map<number, bigint>): { seg: number; amount: bigint }[] {
  const entries = [...parts].filter(([, w]) => w > 0n).sort((a, b) => a[0] - b[0]);
  if (entries.length === 0 || amount === 0n) return [];
  const shares = largestRemainder(
    amount,
    entries.map(([seg, weight]) => ({ key: seg.toString().padStart(12, "0"), weight })),
  );
  return entries.map(([seg], i) => ({ seg, amount: shares[i] }));
}

/** Change times inside the window of every bundle dataset, ascending, distinct. */
function changeTimes(pl: PreparedLicense, epoch: PreparedEpoch, window: EpochWindow): number[] {
  const times = new Set<number>();
  for (const d of pl.bundleDatasets)
    for (const s of epoch.datasets[d].segments) if (s.at > window.start && s.at < window.end) times.add(s.at);
  return [...times].sort((a, b) => a - b);
}

function hasShareChanges(pl: PreparedLicense, epoch: PreparedEpoch): boolean {
  if (pl.skipped) return false;
  for (const d of pl.bundleDatasets) if (epoch.datasets[d].segments.length > 1) return true;
  return false;
}

/** Recognize one license for the epoch, refund what is due, and compute its next carried state. */
export function recognizeLicense(
  pl: PreparedLicense,
  epoch: PreparedEpoch,
  newCredits: Map<Hex, bigint> | undefined,
  payerValid: boolean,
): LicenseRecognition {
  const window = epoch.input.window;
  const deposited = (pl.previous?.deposited ?? 0n) + pl.newDeposits;
  const recognizedBefore = pl.previous?.recognized ?? 0n;
  const refundedBefore = pl.previous?.refunded ?? 0n;
  const n = pl.bundle.length;
  const m = pl.license.model;
  const segmentedWanted = hasShareChanges(pl, epoch);
  let perDataset: bigint[] = new Array<bigint>(n).fill(0n);
  let segmented: { seg: number; amount: bigint }[][] | null = null;
  let owed: bigint[] = [];
  let owedTotal = 0n;

  // Credits: previous + new, per position.
  const creditList = [...(pl.previous?.credit ?? [])];
  for (const [datasetId, amount] of newCredits ?? []) creditList.push({ datasetId, amount });
  const credit = byPosition(pl, creditList);

  if (pl.skipped) {
    // Isolation: nothing recognized or refunded; this epoch's due waits as owed on its dataset id.
    const { due } = dueThisEpoch(pl, epoch);
    owed = byPosition(pl, pl.previous?.owed ?? []) ?? new Array<bigint>(n).fill(0n);
    for (let i = 0; i < n; i++) owed[i] += due[i];
  } else if (m.kind === "oneTime") {
    const amount = oneTimeLive(pl.license, window.start)
      ? recognizeOneTime(m, deposited - refundedBefore, recognizedBefore)
      : 0n;
    perDataset = splitByBundle(amount, pl.bundle);
    if (segmentedWanted && amount > 0n) {
      const at = Math.min(Math.max(pl.lastDepositAt ?? window.start, window.start), window.end - 1);
      segmented = perDataset.map((a, i) => [{ seg: segmentAt(epoch.datasets[pl.bundleDatasets[i]], at), amount: a }]);
    }
  } else if (m.kind === "subscription") {
    const termEnd = subscriptionTermEnd(pl.license);
    const effective = deposited - refundedBefore;
    const toDate = (t: number) => {
      const r = subscriptionRecognizedToDate(m, effective, t, termEnd);
      if (r >= recognizedBefore) return r;
      // Below what was recognized: a term shortened after the fact never claws back; edited terms are refused.
      const unshortened = subscriptionRecognizedToDate(m, effective, t);
      if (unshortened < recognizedBefore)
        throw new SettlementError(
          "SETTLEMENT_STATE_MISMATCH",
          `license ${pl.license.id}: subscription terms give ${unshortened} to date, less than ${recognizedBefore} already recognized`,
        );
      return recognizedBefore;
    };
    if (!segmentedWanted) perDataset = splitByBundle(toDate(window.end) - recognizedBefore, pl.bundle);
    else {
      segmented = pl.bundle.map(() => []);
      let from = window.start;
      let before = recognizedBefore;
      for (const to of [...changeTimes(pl, epoch, window), window.end]) {
        const upTo = toDate(to);
        const piece = splitByBundle(upTo - before, pl.bundle);
        for (let i = 0; i < n; i++) {
          perDataset[i] += piece[i];
          if (piece[i] > 0n)
            segmented[i].push({ seg: segmentAt(epoch.datasets[pl.bundleDatasets[i]], from), amount: piece[i] });
        }
        before = upTo;
        from = to;
      }
    }
  } else {
    const { due, parts } = dueThisEpoch(pl, epoch);
    let owedBefore = byPosition(pl, pl.previous?.owed ?? []);
    if (credit !== null) {
      // A correction after close: first cancels what is still owed, then this epoch's charges.
      for (let i = 0; i < n; i++) {
        if (owedBefore !== null) {
          const c = credit[i] < owedBefore[i] ? credit[i] : owedBefore[i];
          owedBefore[i] -= c;
          credit[i] -= c;
        }
        const c = credit[i] < due[i] ? credit[i] : due[i];
        due[i] -= c;
        credit[i] -= c;
      }
      if (owedBefore?.every((o) => o === 0n)) owedBefore = null;
    }
    const draw = drawFromEscrow(deposited - recognizedBefore - refundedBefore, owedBefore, due, () =>
      pl.bundle.map((b) => b.datasetId),
    );
    perDataset = draw.paid;
    owed = draw.owed;
    for (const o of owed) owedTotal += o;
    if (segmentedWanted) {
      segmented = pl.bundle.map(() => []);
      for (let i = 0; i < n; i++) {
        const d = epoch.datasets[pl.bundleDatasets[i]];
        const fromOwed = draw.paidOwed?.[i] ?? 0n;
        const fromDue = draw.paid[i] - fromOwed;
        if (fromOwed > 0n) segmented[i].push({ seg: segmentAt(d, window.start), amount: fromOwed });
        if (fromDue > 0n) {
          const p = parts[i];
          if (p && p.size > 0) segmented[i].push(...splitBySegment(fromDue, p));
          else segmented[i].push({ seg: segmentAt(d, window.start), amount: fromDue });
        }
      }
    }
  }
  if (pl.skipped) for (const o of owed) owedTotal += o;

  let total = 0n;
  for (const a of perDataset) total += a;
  const recognized = recognizedBefore + total;
  let refund = 0n;
  let unrefundable = 0n;
  if (!pl.skipped) {
    const due = refundDue(
      pl.license,
      deposited - refundedBefore,
      recognized,
      window,
      epoch.input.lifecycle.lateUsageGraceSeconds,
    );
    // refundDue works on what is left after earlier refunds, so `due` is this epoch's new refund.
    if (payerValid) refund = due;
    else unrefundable = due;
  }
  invariant(
    recognized + refundedBefore + refund <= deposited,
    `license ${pl.license.id}: recognized ${recognized} + refunded ${refundedBefore + refund} exceeds deposited ${deposited}`,
  );

  return {
    perDataset,
    segmented,
    total,
    owedTotal,
    refund,
    unrefundable,
    state: {
      licenseId: pl.license.id,
      token: pl.license.token,
      deposited,
      recognized,
      owed: toList(pl, owed),
      refunded: refundedBefore + refund,
      credit: credit === null ? [] : toList(pl, credit),
    },
  };
}
