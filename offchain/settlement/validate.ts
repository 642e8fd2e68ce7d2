/**
 * Checks what the zod schemas cannot (sums, uniqueness, cross references, chaining to the previous
 * state) and indexes the input for the epoch driver. Input rows that are well-formed but do not apply
 * (a deposit for an unknown license, usage on an unlicensed dataset...) are not errors: `ingest.ts`
 * sets them aside and counts them.
 */
import type { Address, Hex } from "viem";
import type {
  Contributor,
  CumulativeAllocation,
  License,
  LicenseDataset,
  LicenseState,
  SettlementInput,
  SkippedItems,
  SkipReason,
} from "./types";
import { invalidInput, SettlementError } from "./errors";
import { compareHex, isCanonicalAddress, isCanonicalBytes32 } from "./normalize";
import { assertNoExclusivityOverlap } from "./exclusivity";
import { BundleStamp } from "./stamp";

export type Recipients = { account: Address; bps: bigint }[];

export interface PreparedDataset {
  id: Hex;
  /** Share periods, ascending `at`: the first applies before every change (`at` = -∞). */
  segments: { at: number; recipients: Recipients }[];
  /** Index of this dataset's first segment in the flat (dataset, segment) numbering used for pools. */
  segmentBase: number;
}

/** The share period of dataset `d` in effect at time `t`. */
export function segmentAt(d: PreparedDataset, t: number): number {
  const segs = d.segments;
  if (segs.length === 1) return 0;
  let k = 0;
  while (k + 1 < segs.length && segs[k + 1].at <= t) k++;
  return k;
}

export interface PreparedLicense {
  license: License;
  tokenIndex: number;
  /** The licensed datasets in input order (order never matters: ties break by dataset id). */
  bundle: readonly LicenseDataset[];
  /** Dataset index (into `PreparedEpoch.datasets`) per bundle position. */
  bundleDatasets: Int32Array;
  previous: LicenseState | undefined;
  /** Filled by ingest.ts. */
  newDeposits: bigint;
  depositCount: number;
  /** Confirmation time of the latest deposit of this epoch (one-time recognition time). */
  lastDepositAt: number | undefined;
  /** Per-use: rate · units per bundle position, filled by ingest.ts (null until the first row). */
  usageDue: bigint[] | null;
  /** Per bundle position on a dataset with share changes: its due per share period. */
  usageTimed: (Map<number, bigint> | undefined)[] | null;
  /** Revenue share: Σ revenue reported for the whole bundle (split by weight). */
  revenue: bigint;
  /** Revenue share: Σ revenue reported per (bundle position, share period) naming a dataset. */
  revenueByDataset: Map<number, Map<number, bigint>> | null;
  /** Touches a skipped or unknown dataset: nothing recognized this epoch, usage carried as owed. */
  skipped: boolean;
}

export interface PreparedEpoch {
  input: SettlementInput;
  /** Ascending id. */
  datasets: PreparedDataset[];
  datasetIndex: Map<Hex, number>;
  /** Every token of a license, a previous license state or a previous cumulative; ascending. */
  tokens: Address[];
  tokenIndex: Map<Address, number>;
  /** Ascending id. */
  licenses: PreparedLicense[];
  licenseIndex: Map<Hex, number>;
  /** States of licenses absent from this input: carried unchanged. */
  carriedStates: LicenseState[];
  /** Σ segments over datasets (size of the flat pool numbering). */
  segmentCount: number;
  /** Datasets refused this epoch (isolated: everything else settles). */
  skippedDatasets: SkippedItems["datasets"];
  /** License indices (into `licenses`) that touch a skipped or unknown dataset, with the reason. */
  skippedLicenses: Map<number, SkipReason>;
  /** Accounts that can never receive a leaf: the zero address, the splitter, every token. */
  forbidden: Set<string>;
}

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

function requireAddress(value: string, what: string): void {
  if (!isCanonicalAddress(value))
    throw invalidInput(`${what} is not a canonical lowercase address (parse with SettlementInputSchema): ${value}`);
}

/** A recipient must be able to claim: the zero address cannot. */
function requireRecipient(value: string, what: string): void {
  requireAddress(value, what);
  if (value === ZERO_ADDRESS) throw invalidInput(`${what} is the zero address`);
}

function requireBytes32(value: string, what: string): void {
  if (!isCanonicalBytes32(value))
    throw invalidInput(`${what} is not a canonical lowercase bytes32 (parse with SettlementInputSchema): ${value}`);
}

/** Merge one share list; a string says why it cannot be settled. */
function prepareRecipients(
  datasetId: Hex,
  contributors: readonly Contributor[],
  forbidden: Set<string>,
): Recipients | string {
  if (contributors.length === 0) return "noContributors";
  const merged = new Map<Address, bigint>();
  let sum = 0;
  for (const c of contributors) {
    requireAddress(c.account, `contributor of dataset ${datasetId}`); // non-canonical input is a caller bug, not tenant data: throw
    if (forbidden.has(c.account)) return "invalidContributor";
    if (!Number.isInteger(c.bps) || c.bps <= 0) return "sharesNotTenThousand";
    sum += c.bps;
    merged.set(c.account, (merged.get(c.account) ?? 0n) + BigInt(c.bps));
  }
  if (sum !== 10_000) return "sharesNotTenThousand";
  return [...merged].map(([account, bps]) => ({ account, bps })).sort((a, b) => compareHex(a.account, b.account));
}

function prepareDatasets(
  input: SettlementInput,
  forbidden: Set<string>,
): {
  datasets: PreparedDataset[];
  datasetIndex: Map<Hex, number>;
  segmentCount: number;
  skipped: SkippedItems["datasets"];
  skippedIds: Set<Hex>;
} {
  const sorted = [...input.datasets].sort((a, b) => compareHex(a.id, b.id));
  const datasetIndex = new Map<Hex, number>();
  const datasets: PreparedDataset[] = [];
  const skipped: SkippedItems["datasets"] = [];
  const skippedIds = new Set<Hex>();
  let segmentCount = 0;
  for (const d of sorted) {
    requireBytes32(d.id, "dataset id");
    if (datasetIndex.has(d.id) || skippedIds.has(d.id)) throw invalidInput(`duplicate dataset ${d.id}`);
    const changes = [...d.changes].sort((a, b) => a.at - b.at);
    const segments: PreparedDataset["segments"] = [];
    let failure: { reason: SkipReason; detail: string } | undefined;
    const lists = [{ at: Number.NEGATIVE_INFINITY, contributors: d.contributors }, ...changes];
    for (let k = 0; k < lists.length && failure === undefined; k++) {
      if (k > 1 && lists[k].at === lists[k - 1].at)
        failure = { reason: "duplicateShareChange", detail: `two share changes at ${lists[k].at}` };
      const r = prepareRecipients(d.id, lists[k].contributors, forbidden);
      if (typeof r === "string")
        failure = {
          reason: r as SkipReason,
          detail: k === 0 ? "shares in effect at the window's start" : `share change at ${lists[k].at}`,
        };
      else segments.push({ at: lists[k].at, recipients: r });
    }
    if (failure !== undefined) {
      skipped.push({ id: d.id, ...failure });
      skippedIds.add(d.id);
      continue;
    }
    datasetIndex.set(d.id, datasets.length);
    datasets.push({ id: d.id, segments, segmentBase: segmentCount });
    segmentCount += segments.length;
  }
  return { datasets, datasetIndex, segmentCount, skipped, skippedIds };
}

function checkModel(license: License): void {
  const m = license.model;
  const positive = (v: bigint, what: string) => {
    if (v <= 0n) throw invalidInput(`license ${license.id}: ${what} must be > 0`);
  };
  switch (m.kind) {
    case "oneTime":
      positive(m.fee, "fee");
      return;
    case "subscription":
      positive(m.feePerPeriod, "feePerPeriod");
      if (!Number.isSafeInteger(m.periodSeconds) || m.periodSeconds <= 0)
        throw invalidInput(`license ${license.id}: periodSeconds must be a positive integer`);
      if (m.maxPeriods !== undefined && (!Number.isSafeInteger(m.maxPeriods) || m.maxPeriods <= 0))
        throw invalidInput(`license ${license.id}: maxPeriods must be a positive integer`);
      return;
    case "perUse":
      positive(m.ratePerUnit, "ratePerUnit");
      return;
    case "revenueShare":
      if (!Number.isInteger(m.bps) || m.bps <= 0 || m.bps > 10_000)
        throw invalidInput(`license ${license.id}: revenue share bps must be in 1..10000`);
      return;
  }
}

/** Resolve a license's bundle to dataset indices; refuse unknown or repeated datasets and exclusivity or owed outside it. */
function prepareBundle(
  license: License,
  datasetIndex: Map<Hex, number>,
  stamp: BundleStamp,
  state: LicenseState | undefined,
  skippedIds: Set<Hex>,
): Int32Array | SkipReason {
  const bundleDatasets = new Int32Array(license.datasets.length);
  for (let i = 0; i < license.datasets.length; i++) {
    const entry = license.datasets[i];
    // Found in the index ⇒ canonical (the index holds validated ids only), so no regex per entry.
    const index = datasetIndex.get(entry.datasetId);
    if (index === undefined) {
      if (!isCanonicalBytes32(entry.datasetId))
        throw invalidInput(`license ${license.id} references non-canonical dataset ${entry.datasetId}`);
      // Isolation: the license waits (deposits kept, usage owed) instead of halting every other settlement.
      return skippedIds.has(entry.datasetId) ? "datasetSkipped" : "unknownDataset";
    }
    if (!Number.isSafeInteger(entry.weight) || entry.weight <= 0)
      throw invalidInput(`license ${license.id}: bundle weights must be positive integers`);
    bundleDatasets[i] = index;
  }
  const repeated = stamp.load(bundleDatasets);
  if (repeated >= 0)
    throw invalidInput(`license ${license.id} lists dataset ${license.datasets[repeated].datasetId} twice`);
  for (const w of license.exclusivity) {
    requireBytes32(w.datasetId, `exclusivity dataset of license ${license.id}`);
    if (stamp.positionOf(datasetIndex.get(w.datasetId)) < 0)
      throw invalidInput(`license ${license.id}: exclusivity on dataset ${w.datasetId} it does not license`);
    if (!(w.start < w.end)) throw invalidInput(`license ${license.id}: exclusivity window must have start < end`);
  }
  for (const o of state?.owed ?? []) {
    if (stamp.positionOf(datasetIndex.get(o.datasetId)) < 0) {
      throw new SettlementError(
        "SETTLEMENT_STATE_MISMATCH",
        `license ${license.id}: owed on dataset ${o.datasetId} it no longer licenses`,
      );
    }
    if (o.amount < 0n) throw invalidInput(`license ${license.id}: owed must be non-negative`);
  }
  return bundleDatasets;
}

/** Form only; duplicates are caught where the driver indexes them (allocate.ts, stage 3). */
function checkCumulative(cumulative: readonly CumulativeAllocation[]): void {
  for (const c of cumulative) {
    requireAddress(c.account, "previous cumulative account");
    requireAddress(c.token, "previous cumulative token");
    if (c.amount < 0n) throw invalidInput("previous cumulative amounts must be non-negative");
  }
}

/** Validate and index the structural part of the input (everything but deposits, usage and revenue). */
export function prepareEpoch(input: SettlementInput): PreparedEpoch {
  const { window, platformFee, previous } = input;
  if (!(window.start < window.end)) throw invalidInput("epoch window must have start < end");
  if (!Number.isInteger(platformFee.bps) || platformFee.bps < 0 || platformFee.bps > 10_000)
    throw invalidInput("platform fee bps must be in 0..10000");
  // With no fee the treasury gets no leaf, so only a fee-charging platform needs a claimable treasury.
  if (platformFee.bps > 0) requireRecipient(platformFee.treasury, "treasury");
  else requireAddress(platformFee.treasury, "treasury");
  // Epoch numbers may skip (a vetoed epoch is recomputed under a new number from the last state that stood),
  // but time may not: the window starts where the previous state ended.
  if (previous !== null && (previous.epoch >= window.epoch || previous.epochEnd !== window.start)) {
    throw new SettlementError(
      "SETTLEMENT_STATE_MISMATCH",
      `epoch ${window.epoch} [${window.start}, ${window.end}) does not follow previous epoch ${previous.epoch} ending at ${previous.epochEnd}`,
    );
  }

  const tokenSet = new Set<Address>();
  const sortedLicenses = [...input.licenses].sort((a, b) => compareHex(a.id, b.id));
  const forbidden = new Set<string>([ZERO_ADDRESS]);
  if (input.splitter !== undefined) forbidden.add(input.splitter);
  for (const l of input.licenses) forbidden.add(l.token);
  for (const d of input.deposits) forbidden.add(d.token);
  for (const c of previous?.cumulative ?? []) forbidden.add(c.token);
  const { datasets, datasetIndex, segmentCount, skipped, skippedIds } = prepareDatasets(input, forbidden);
  const licenseIndex = new Map<Hex, number>();
  for (const license of sortedLicenses) {
    requireBytes32(license.id, "license id");
    requireAddress(license.token, `token of license ${license.id}`);
    if (licenseIndex.has(license.id)) throw invalidInput(`duplicate license ${license.id}`);
    licenseIndex.set(license.id, licenseIndex.size);
    tokenSet.add(license.token);
    checkModel(license);
  }
  const statesById = new Map<Hex, LicenseState>();
  const carriedStates: LicenseState[] = [];
  if (previous !== null) {
    checkCumulative(previous.cumulative);
    for (const c of previous.cumulative) tokenSet.add(c.token);
    for (const s of previous.licenses) {
      requireBytes32(s.licenseId, "previous license state id");
      requireAddress(s.token, `token of previous license state ${s.licenseId}`);
      if (statesById.has(s.licenseId)) throw invalidInput(`previous state lists license ${s.licenseId} twice`);
      if (s.recognized < 0n || s.recognized > s.deposited) {
        throw new SettlementError(
          "SETTLEMENT_STATE_MISMATCH",
          `license ${s.licenseId}: previous recognized exceeds deposited`,
        );
      }
      statesById.set(s.licenseId, s);
      tokenSet.add(s.token);
      const index = licenseIndex.get(s.licenseId);
      if (index === undefined) {
        carriedStates.push(s);
        continue;
      }
      const license = sortedLicenses[index];
      if (license.token !== s.token)
        throw new SettlementError(
          "SETTLEMENT_STATE_MISMATCH",
          `license ${s.licenseId}: token changed from ${s.token} to ${license.token}`,
        );
    }
  }
  const stamp = new BundleStamp(datasets.length);
  const skippedLicenses = new Map<number, SkipReason>();
  const bundles = sortedLicenses.map((l, i) => {
    const b = prepareBundle(l, datasetIndex, stamp, statesById.get(l.id), skippedIds);
    if (typeof b !== "string") return b;
    skippedLicenses.set(i, b);
    return new Int32Array(0);
  });
  assertNoExclusivityOverlap(sortedLicenses);

  for (const h of previous?.held ?? []) tokenSet.add(h.token);
  for (const d of input.deposits) if (isCanonicalAddress(d.token)) tokenSet.add(d.token);
  const tokens = [...tokenSet].sort(compareHex);
  const tokenIndex = new Map(tokens.map((t, i) => [t, i] as const));
  const licenses: PreparedLicense[] = sortedLicenses.map((license, i) => ({
    license,
    tokenIndex: tokenIndex.get(license.token)!,
    bundle: license.datasets,
    bundleDatasets: bundles[i],
    previous: statesById.get(license.id),
    newDeposits: 0n,
    depositCount: 0,
    lastDepositAt: undefined,
    usageDue: null,
    usageTimed: null,
    revenue: 0n,
    revenueByDataset: null,
    skipped: skippedLicenses.has(i),
  }));
  carriedStates.sort((a, b) => compareHex(a.licenseId, b.licenseId));
  return {
    input,
    datasets,
    datasetIndex,
    tokens,
    tokenIndex,
    licenses,
    licenseIndex,
    carriedStates,
    segmentCount,
    skippedDatasets: skipped,
    skippedLicenses,
    forbidden,
  };
}
