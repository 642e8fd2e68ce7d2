/**
 * Attaches this epoch's facts (confirmed deposits, usage aggregates, revenue reports) to their
 * licenses. Rows that do not apply are set aside and counted by reason, never silently dropped and
 * never allocated. A duplicate usage aggregate is an error: summing it would charge the buyer twice.
 */
import type { PreparedEpoch } from "./validate";
import type { RejectionReason, RejectionSummary } from "./types";
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
    stamp.load(pl.bundleDatasets);
    const due = (pl.usageDue = new Array<bigint>(pl.bundle.length).fill(0n));
    for (let k = offsets[i]; k < offsets[i + 1]; k++) {
      const u = usage[order[k]];
      const d = datasetIndex.get(u.datasetId);
      const position = stamp.positionOf(d);
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
export function ingestFacts(epoch: PreparedEpoch): RejectionSummary {
  const { input, licenses, licenseIndex } = epoch;
  const rejected = emptyRejections();
  const current = input.window.epoch;

  for (const d of input.deposits) {
    if (!isCanonicalBytes32(d.licenseId) || !isCanonicalAddress(d.token))
      throw invalidInput("deposit ids must be canonical lowercase (parse with SettlementInputSchema)");
    if (d.amount < 0n) throw invalidInput("deposit amounts must be non-negative");
    const i = licenseIndex.get(d.licenseId);
    if (i === undefined) reject(rejected, "depositUnknownLicense", d.amount);
    else if (licenses[i].license.token !== d.token) reject(rejected, "depositTokenMismatch", d.amount);
    else {
      licenses[i].newDeposits += d.amount;
      licenses[i].depositCount += 1;
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
    else licenses[i].revenue += r.revenue;
  }
  return rejected;
}
