/**
 * Attaches this epoch's facts (confirmed deposits, usage aggregates, revenue reports) to their
 * licenses. Rows that do not apply are set aside and counted by reason, never silently dropped and
 * never allocated. A duplicate usage aggregate is an error: summing it would charge the buyer twice.
 */
import type { PreparedEpoch } from "./validate";
import type { RejectionReason, RejectionSummary } from "./types";
import { invalidInput } from "./errors";
import { isCanonicalAddress, isCanonicalBytes32 } from "./normalize";

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

/** Mutates the prepared licenses (deposits, usage, revenue); returns what was set aside. */
export function ingestFacts(epoch: PreparedEpoch): RejectionSummary {
  const { input, licenses, licenseIndex, datasetIndex } = epoch;
  const rejected = emptyRejections();
  const current = input.window.epoch;

  for (const d of input.deposits) {
    if (!isCanonicalBytes32(d.licenseId) || !isCanonicalAddress(d.token)) throw invalidInput("deposit ids must be canonical lowercase (parse with SettlementInputSchema)");
    if (d.amount < 0n) throw invalidInput("deposit amounts must be non-negative");
    const i = licenseIndex.get(d.licenseId);
    if (i === undefined) reject(rejected, "depositUnknownLicense", d.amount);
    else if (licenses[i].license.token !== d.token) reject(rejected, "depositTokenMismatch", d.amount);
    else {
      licenses[i].newDeposits += d.amount;
      licenses[i].depositCount += 1;
    }
  }

  for (const u of input.usage) {
    if (u.units < 0n) throw invalidInput("usage units must be non-negative");
    const i = licenseIndex.get(u.licenseId);
    if (i === undefined) {
      if (!isCanonicalBytes32(u.licenseId)) throw invalidInput("usage license ids must be canonical lowercase bytes32");
      reject(rejected, "usageUnknownLicense", u.units);
      continue;
    }
    const pl = licenses[i];
    if (pl.license.model.kind !== "perUse") {
      reject(rejected, "usageNotPerUse", u.units);
      continue;
    }
    if (u.epoch !== current) {
      reject(rejected, "usageWrongEpoch", u.units);
      continue;
    }
    const d = datasetIndex.get(u.datasetId);
    if (d === undefined || !pl.bundlePosition.has(d)) {
      if (!isCanonicalBytes32(u.datasetId)) throw invalidInput("usage dataset ids must be canonical lowercase bytes32");
      reject(rejected, "usageDatasetNotLicensed", u.units);
      continue;
    }
    if (pl.usageSeen.has(d)) throw invalidInput(`duplicate usage aggregate for license ${u.licenseId}, dataset ${u.datasetId}, epoch ${u.epoch}`);
    pl.usageSeen.add(d);
    pl.usage.push({ datasetIndex: d, units: u.units });
  }

  for (const r of input.revenue) {
    if (r.revenue < 0n) throw invalidInput("revenue must be non-negative");
    const i = licenseIndex.get(r.licenseId);
    if (i === undefined) {
      if (!isCanonicalBytes32(r.licenseId)) throw invalidInput("revenue license ids must be canonical lowercase bytes32");
      reject(rejected, "revenueUnknownLicense", r.revenue);
    } else if (licenses[i].license.model.kind !== "revenueShare") reject(rejected, "revenueNotRevenueShare", r.revenue);
    else if (r.epoch !== current) reject(rejected, "revenueWrongEpoch", r.revenue);
    else licenses[i].revenue += r.revenue;
  }
  return rejected;
}
