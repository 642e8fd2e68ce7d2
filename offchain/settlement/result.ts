/**
 * What the engine returns for one epoch (see allocate.ts). All lists are in the canonical order
 * documented on {@link SettlementResult}, independent of input order.
 */
import type { Address, Hex } from "viem";
import type { EpochWindow, LicenseModelKind, SettlementState } from "./types";

/** One leaf-to-be: this epoch's amount and the new cumulative for (account, token). */
export interface AccountAllocation {
  account: Address;
  token: Address;
  /** Allocated in this epoch (0 for accounts carried unchanged). */
  amount: bigint;
  /** previous cumulative + amount; never decreases. */
  cumulative: bigint;
}

export interface TokenTotal {
  token: Address;
  /** Σ this epoch's amounts = Σ recognized this epoch for the token, exactly. */
  amount: bigint;
  /** Σ cumulative of all accounts for the token. */
  cumulative: bigint;
}

/** Aggregate figures of one token; counts and sums only (no license, buyer or usage identifiers). */
export interface TokenReport {
  token: Address;
  /** Recognized this epoch, per model and in total (platform fee included). */
  recognized: Record<LicenseModelKind, bigint> & { total: bigint };
  /** Number of licenses that recognized a non-zero amount this epoch. */
  licensesRecognized: number;
  /** Part of `recognized.total` paid to the treasury. */
  platformFee: bigint;
  /** Deposits confirmed this epoch and accepted. */
  deposited: bigint;
  /** Owed (per-use, revenue share) not covered by deposits, carried to the next epoch; new total. */
  carriedForward: { licenses: number; amount: bigint };
  /** Confirmed deposits not (yet) recognized nor refunded: partial one-time fees, unused escrow. */
  escrowBalance: bigint;
  /** Refunded this epoch (license refunds, wrong-token and unknown-license deposits), as leaves to payers. */
  refunded: bigint;
  /** Deposits to unknown license ids still held (waiting for the license or the grace period). */
  held: bigint;
  /** Refundable but not refunded: the license names no valid payer (kept as escrow, counted here). */
  unrefundable: bigint;
}

/** Why a dataset or a license was not settled this epoch (it is retried next epoch; nothing is lost). */
export type SkipReason =
  | "noContributors"
  | "sharesNotTenThousand"
  | "invalidContributor"
  | "duplicateShareChange"
  | "unknownDataset"
  | "datasetSkipped";

/** Private (names datasets and licenses): for the operator, never published. */
export interface SkippedItems {
  datasets: { id: Hex; reason: SkipReason; detail: string }[];
  /** Licenses touching a skipped dataset: deposits kept, usage carried as owed, nothing recognized. */
  licenses: { id: Hex; reason: SkipReason }[];
}

/** Reasons an input row is set aside (counted, never silently dropped). */
export type RejectionReason =
  | "depositUnknownLicense"
  | "depositTokenMismatch"
  | "usageUnknownLicense"
  | "usageNotPerUse"
  | "usageDatasetNotLicensed"
  | "usageWrongEpoch"
  | "revenueUnknownLicense"
  | "revenueNotRevenueShare"
  | "revenueWrongEpoch"
  | "revenueDatasetNotLicensed"
  | "creditUnknownLicense"
  | "creditNotUsageModel"
  | "creditDatasetNotLicensed";

/** Count and sum (token base units for deposits and revenue, units for usage) per reason. */
export type RejectionSummary = Record<RejectionReason, { count: number; sum: bigint }>;

export interface SettlementReport {
  epoch: number;
  /** Input rows (accepted or set aside), and `leaves` = number of (account, token) allocations. */
  counts: { datasets: number; licenses: number; deposits: number; usage: number; revenue: number; leaves: number };
  /** Ascending token. */
  tokens: TokenReport[];
  rejected: RejectionSummary;
  /** Datasets and licenses not settled this epoch (counts only: the ids are in `SettlementResult.skipped`). */
  skipped: { datasets: number; licenses: number };
}

/**
 * Output order (canonical, independent of input order):
 * - `allocations`: ascending (account, token), lowercase hex string order (= numeric order);
 * - `totals`, `report.tokens`: ascending token;
 * - `state.licenses`: ascending license id; each `owed` ascending dataset id;
 * - `state.cumulative`: same order as `allocations`.
 */
export interface SettlementResult {
  window: EpochWindow;
  allocations: AccountAllocation[];
  totals: TokenTotal[];
  state: SettlementState;
  report: SettlementReport;
  skipped: SkippedItems;
}
