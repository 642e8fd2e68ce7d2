/**
 * Attaches this epoch's facts (confirmed deposits, usage aggregates, revenue reports) to their
 * licenses. Rows that do not apply are set aside and counted by reason, never silently dropped and
 * never allocated. A duplicate usage aggregate is an error: summing it would charge the buyer twice.
 */
import type { Hex } from "viem";
import { segmentAt, type PreparedEpoch, type PreparedLicense } from "./validate";
import type { HeldDeposit, RejectionReason, RejectionSummary, SettlementInput } from "./types";
import { invalidInput } from "./errors";
import { isCanonicalAddress, isCanonicalBytes32 } from "./normalize";
import { BundleStamp } from "./stamp";

const REASONS: readonly RejectionReason[] = [
  "depositUnknownLicense",
  "depositTokenMismatch",
  "usageUnknownLicense",
  "usageNotPerUse",
  "usageDatasetNotLicensed",
  "usageWrongEpoch",
  "revenueUnknownLicense",
  "revenueNotRevenueShare",
  "revenueWrongEpoch",
  "revenueDatasetNotLicensed",
  "creditUnknownLicense",
  "creditNotUsageModel",
  "creditDatasetNotLicensed",
];

export function emptyRejections(): RejectionSummary {
  const summary = {} as RejectionSummary;
  for (const r of REASONS) summary[r] = { count: 0, sum: 0n };
  return summary;
}

function reject(summary: RejectionSummary, reason: RejectionReason, sum: bigint): void {
  summary[reason].count += 1;
  summary[reason].sum += sum;
}

/**
 * Usage rows are grouped by license first (a counting sort over row indices), so each license's
 * bundle is loaded into a {@link BundleStamp} once and every row costs two map lookups and one
 * multiplication: no per-row allocation, no per-license map.
 */
function ingestUsage(epoch: PreparedEpoch, rejected: RejectionSummary): void {
  const { input, licenses, licenseIndex, datasetIndex } = epoch;
  const usage = input.usage;
  const current = input.window.epoch;
  const rowLicense = new Int32Array(usage.length);
  const offsets = new Int32Array(licenses.length + 1);
  for (let r = 0; r < usage.length; r++) {
    const u = usage[r];
    rowLicense[r] = -1;
    if (u.units < 0n) throw invalidInput("usage units must be non-negative");
    const i = licenseIndex.get(u.licenseId);
    if (i === undefined) {
      if (!isCanonicalBytes32(u.licenseId)) throw invalidInput("usage license ids must be canonical lowercase bytes32");
      reject(rejected, "usageUnknownLicense", u.units);
    } else if (licenses[i].license.model.kind !== "perUse") reject(rejected, "usageNotPerUse", u.units);
    else if (u.epoch !== current) reject(rejected, "usageWrongEpoch", u.units);
    else {
      rowLicense[r] = i;
      offsets[i + 1] += 1;
    }
  }
  for (let i = 0; i < licenses.length; i++) offsets[i + 1] += offsets[i];
  const order = new Int32Array(offsets[licenses.length]);
  const fill = offsets.slice(0, licenses.length);
  for (let r = 0; r < usage.length; r++) if (rowLicense[r] >= 0) order[fill[rowLicense[r]]++] = r;

  const stamp = new BundleStamp(epoch.datasets.length);
  const seen = new Int32Array(epoch.datasets.length);
  for (let i = 0; i < licenses.length; i++) {
    if (offsets[i] === offsets[i + 1]) continue;
    const pl = licenses[i];
    const model = pl.license.model;
    if (model.kind !== "perUse") continue; // filtered above; narrows the type
    const due = (pl.usageDue = new Array<bigint>(pl.bundle.length).fill(0n));
    if (pl.skipped) {
      // Rare path: the license waits for its dataset; its usage is carried as owed, by dataset id.
      const byId = new Map(pl.bundle.map((b, p) => [b.datasetId, p] as const));
      for (let k = offsets[i]; k < offsets[i + 1]; k++) {
        const u = usage[order[k]];
        const position = byId.get(u.datasetId);
        if (position === undefined) reject(rejected, "usageDatasetNotLicensed", u.units);
        else due[position] += model.ratePerUnit * u.units;
      }
      continue;
    }
    stamp.load(pl.bundleDatasets);
    for (let k = offsets[i]; k < offsets[i + 1]; k++) {
      const u = usage[order[k]];
      const d = datasetIndex.get(u.datasetId);
      const position = stamp.positionOf(d);
      if (position >= 0 && epoch.datasets[d!].segments.length > 1) {
        // Share changes on this dataset: keep the due per share period of the events' time.
        const seg = segmentAt(epoch.datasets[d!], u.at ?? input.window.start);
        pl.usageTimed ??= new Array(pl.bundle.length).fill(undefined);
        const timed = (pl.usageTimed[position] ??= new Map());
        if (timed.has(seg))
          throw invalidInput(
            `duplicate usage aggregate for license ${u.licenseId}, dataset ${u.datasetId}, epoch ${u.epoch}, share period ${seg}`,
          );
        const amount = model.ratePerUnit * u.units;
        timed.set(seg, amount);
        due[position] += amount;
        continue;
      }
      if (position < 0) {
        if (!isCanonicalBytes32(u.datasetId))
          throw invalidInput("usage dataset ids must be canonical lowercase bytes32");
        reject(rejected, "usageDatasetNotLicensed", u.units);
        continue;
      }
      if (seen[d!] === i + 1)
        throw invalidInput(
          `duplicate usage aggregate for license ${u.licenseId}, dataset ${u.datasetId}, epoch ${u.epoch}`,
        );
      seen[d!] = i + 1;
      due[position] = model.ratePerUnit * u.units;
    }
  }
}

/** Mutates the prepared licenses (deposits, usage, revenue); returns what was set aside. */
export function ingestFacts(epoch: PreparedEpoch): {
  rejected: RejectionSummary;
  held: HeldDeposit[];
  credits: Map<number, Map<Hex, bigint>>;
} {
  const { input, licenses, licenseIndex } = epoch;
  const rejected = emptyRejections();
  /** This epoch's deposits no license can take as they are (unknown id, wrong token): see held.ts. */
  const held: HeldDeposit[] = [];
  const current = input.window.epoch;

  for (const d of input.deposits) {
    if (!isCanonicalBytes32(d.licenseId) || !isCanonicalAddress(d.token))
      throw invalidInput("deposit ids must be canonical lowercase (parse with SettlementInputSchema)");
    if (d.amount < 0n) throw invalidInput("deposit amounts must be non-negative");
    const i = licenseIndex.get(d.licenseId);
    if (i === undefined) {
      reject(rejected, "depositUnknownLicense", d.amount);
      held.push({ ...d, at: d.at ?? input.window.end });
    } else if (licenses[i].license.token !== d.token) {
      reject(rejected, "depositTokenMismatch", d.amount);
      held.push({ ...d, at: d.at ?? input.window.end });
    } else {
      const pl = licenses[i];
      pl.newDeposits += d.amount;
      pl.depositCount += 1;
      if (d.at !== undefined && (pl.lastDepositAt === undefined || d.at > pl.lastDepositAt)) pl.lastDepositAt = d.at;
    }
  }

  ingestUsage(epoch, rejected);

  for (const r of input.revenue) {
    if (r.revenue < 0n) throw invalidInput("revenue must be non-negative");
    const i = licenseIndex.get(r.licenseId);
    if (i === undefined) {
      if (!isCanonicalBytes32(r.licenseId))
        throw invalidInput("revenue license ids must be canonical lowercase bytes32");
      reject(rejected, "revenueUnknownLicense", r.revenue);
    } else if (licenses[i].license.model.kind !== "revenueShare") reject(rejected, "revenueNotRevenueShare", r.revenue);
    else if (r.epoch !== current) reject(rejected, "revenueWrongEpoch", r.revenue);
    else addRevenue(epoch, licenses[i], r, rejected);
  }

  const credits = new Map<number, Map<Hex, bigint>>();
  for (const c of input.credits) {
    const i = licenseIndex.get(c.licenseId);
    if (i === undefined) reject(rejected, "creditUnknownLicense", c.amount);
    else if (licenses[i].license.model.kind !== "perUse" && licenses[i].license.model.kind !== "revenueShare")
      reject(rejected, "creditNotUsageModel", c.amount);
    else if (!licenses[i].bundle.some((b) => b.datasetId === c.datasetId))
      reject(rejected, "creditDatasetNotLicensed", c.amount);
    else {
      let m = credits.get(i);
      if (m === undefined) credits.set(i, (m = new Map()));
      m.set(c.datasetId, (m.get(c.datasetId) ?? 0n) + c.amount);
    }
  }
  return { rejected, held, credits };
}

/** A report naming a dataset of the bundle is charged on that dataset (and its share period), not re-split. */
function addRevenue(
  epoch: PreparedEpoch,
  pl: PreparedLicense,
  r: SettlementInput["revenue"][number],
  rejected: RejectionSummary,
): void {
  const positionOfId = () => pl.bundle.findIndex((b) => b.datasetId === r.datasetId);
  const d = r.datasetId === undefined || pl.skipped ? undefined : epoch.datasetIndex.get(r.datasetId);
  const multiSegment = d !== undefined && epoch.datasets[d].segments.length > 1;
  if (r.datasetId === undefined && !multiSegment) {
    pl.revenue += r.revenue;
    return;
  }
  const position = positionOfId();
  if (position < 0) {
    reject(rejected, "revenueDatasetNotLicensed", r.revenue);
    return;
  }
  const seg = d === undefined ? 0 : segmentAt(epoch.datasets[d], r.at ?? epoch.input.window.start);
  pl.revenueByDataset ??= new Map();
  let bySeg = pl.revenueByDataset.get(position);
  if (bySeg === undefined) pl.revenueByDataset.set(position, (bySeg = new Map()));
  bySeg.set(seg, (bySeg.get(seg) ?? 0n) + r.revenue);
}
