/**
 * The contract between the database and the settlement engine.
 *
 * The service maps its rows into {@link SettlementInputSchema} (amounts may arrive as decimal strings,
 * addresses in any valid case, ids in any hex case) and gets a normalised {@link SettlementInput}:
 * - addresses and bytes32 ids lowercase (one place: `normalize.ts`), so ordering and merging are
 *   plain string comparisons;
 * - token amounts `bigint` base units (never `number`);
 * - times are unix seconds as `number` (safe non-negative integers), windows are half-open `[start, end)`;
 * - basis points are integers in 0..10,000.
 *
 * The engine (`allocate`) is pure: each epoch is a function of (previous {@link SettlementState},
 * new inputs). It re-validates what the schema cannot see (cross references, sums, overlaps).
 */
import { z } from "zod";
import type { Address, Hex } from "viem";
import { normalizeAddress, normalizeBytes32 } from "./normalize";

// ---------------------------------------------------------------------------------------------
// Scalars
// ---------------------------------------------------------------------------------------------

/** Any valid address (lowercase, or mixed case with a valid EIP-55 checksum) → lowercase. */
export const AddressSchema = z.string().transform((value, ctx): Address => {
  try {
    return normalizeAddress(value);
  } catch {
    ctx.addIssue({ code: "custom", message: `invalid address: ${value}` });
    return z.NEVER;
  }
});

/** A bytes32 id (dataset, license) → lowercase `0x` + 64 hex digits. */
export const Bytes32Schema = z.string().transform((value, ctx): Hex => {
  try {
    return normalizeBytes32(value);
  } catch {
    ctx.addIssue({ code: "custom", message: `invalid bytes32: ${value}` });
    return z.NEVER;
  }
});

/** Token base units: a non-negative bigint, or its decimal string as stored in the database. */
export const AmountSchema = z.union([
  z.bigint().nonnegative(),
  z.string().regex(/^(0|[1-9][0-9]*)$/, "amount must be a non-negative decimal integer string").transform((s) => BigInt(s)),
]);

/** A strictly positive amount (fees, rates). */
export const PositiveAmountSchema = AmountSchema.refine((v) => v > 0n, "amount must be > 0");

/** Unix time in seconds. */
export const UnixSecondsSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** Basis points, 0..10,000. */
export const BpsSchema = z.number().int().min(0).max(10_000);

// ---------------------------------------------------------------------------------------------
// Datasets
// ---------------------------------------------------------------------------------------------

/** One contributor's share of a dataset. Several entries may name the same account: they merge. */
export const ContributorSchema = z.object({
  account: AddressSchema,
  /** Share in basis points; a dataset's shares sum to exactly 10,000. */
  bps: z.number().int().min(1).max(10_000),
});
export type Contributor = z.output<typeof ContributorSchema>;

export const DatasetSchema = z.object({
  id: Bytes32Schema,
  contributors: z.array(ContributorSchema).min(1),
});
export type Dataset = z.output<typeof DatasetSchema>;

// ---------------------------------------------------------------------------------------------
// Licenses
// ---------------------------------------------------------------------------------------------

/** A dataset covered by a license, with its relative weight in the bundle (a single dataset: weight 1). */
export const LicenseDatasetSchema = z.object({
  datasetId: Bytes32Schema,
  /** Positive integer; a bundle's amounts are split in proportion weight / Σ weights. */
  weight: z.number().int().min(1).max(1_000_000_000),
});
export type LicenseDataset = z.output<typeof LicenseDatasetSchema>;

/**
 * One-time fee. Recognized in full in the first epoch in which the license's confirmed deposits
 * reach `fee`. Partial deposits recognize nothing (they wait in escrow); deposits beyond `fee` are
 * never recognized (they stay as unrecognized escrow balance, reported, for a refund outside the engine).
 */
export const OneTimeModelSchema = z.object({
  kind: z.literal("oneTime"),
  fee: PositiveAmountSchema,
});

/**
 * Subscription: period k covers `[start + k·periodSeconds, start + (k+1)·periodSeconds)`.
 * Periods are paid in order: paid = min(⌊deposited / feePerPeriod⌋, maxPeriods). Revenue is
 * recognized with time: recognized-to-date(t) = Σ over paid periods of ⌊fee · elapsed / period⌋,
 * elapsed clamped to [0, period]; an epoch recognizes recognized-to-date(epoch end) − previous
 * recognized-to-date, so pieces of a period that straddles epochs always sum to its fee, and a
 * period paid late is caught up in the epoch in which its deposit is confirmed.
 */
export const SubscriptionModelSchema = z.object({
  kind: z.literal("subscription"),
  feePerPeriod: PositiveAmountSchema,
  periodSeconds: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  start: UnixSecondsSchema,
  /** Number of periods the subscription runs; absent = open-ended. */
  maxPeriods: z.number().int().min(1).optional(),
});

/**
 * Per-use royalty: `ratePerUnit × units` of each usage aggregate of the epoch, per dataset, drawn
 * from the license's escrow (confirmed deposits not yet drawn); the uncovered part is owed and
 * carried forward per dataset, paid before new usage when deposits arrive.
 */
export const PerUseModelSchema = z.object({
  kind: z.literal("perUse"),
  ratePerUnit: PositiveAmountSchema,
});

/**
 * Revenue share: ⌊Σ reported revenue of the epoch × bps / 10,000⌋ (rounded down, in the buyer's
 * favour), split over the bundle by weight, then drawn from escrow like per-use.
 */
export const RevenueShareModelSchema = z.object({
  kind: z.literal("revenueShare"),
  bps: z.number().int().min(1).max(10_000),
});

export const LicenseModelSchema = z.discriminatedUnion("kind", [
  OneTimeModelSchema,
  SubscriptionModelSchema,
  PerUseModelSchema,
  RevenueShareModelSchema,
]);
export type LicenseModel = z.output<typeof LicenseModelSchema>;
export type LicenseModelKind = LicenseModel["kind"];

/**
 * An exclusive window `[start, end)` on one dataset for one scope (e.g. "llm-pretraining").
 * Two licenses holding overlapping windows on the same dataset and scope are refused
 * (`SETTLEMENT_EXCLUSIVITY_OVERLAP`). Exclusivity constrains; it does not change amounts.
 */
export const ExclusivitySchema = z
  .object({
    datasetId: Bytes32Schema,
    scope: z.string().min(1).max(200),
    start: UnixSecondsSchema,
    end: UnixSecondsSchema,
  })
  .refine((w) => w.start < w.end, "exclusivity window must have start < end");
export type Exclusivity = z.output<typeof ExclusivitySchema>;

export const LicenseSchema = z.object({
  id: Bytes32Schema,
  /** The ERC-20 the license is paid in; deposits in another token are rejected. */
  token: AddressSchema,
  /** One dataset (length 1) or a bundle. */
  datasets: z.array(LicenseDatasetSchema).min(1),
  model: LicenseModelSchema,
  exclusivity: z.array(ExclusivitySchema).default([]),
});
export type License = z.output<typeof LicenseSchema>;

// ---------------------------------------------------------------------------------------------
// Per-epoch facts
// ---------------------------------------------------------------------------------------------

/** Deposits confirmed on-chain during this epoch (not cumulative). Several per license are summed. */
export const ConfirmedDepositSchema = z.object({
  licenseId: Bytes32Schema,
  token: AddressSchema,
  amount: AmountSchema,
});
export type ConfirmedDeposit = z.output<typeof ConfirmedDepositSchema>;

/** Units used under a per-use license on one dataset in one epoch; (licenseId, datasetId, epoch) is unique. */
export const UsageAggregateSchema = z.object({
  licenseId: Bytes32Schema,
  datasetId: Bytes32Schema,
  epoch: z.number().int().nonnegative(),
  units: AmountSchema,
});
export type UsageAggregate = z.output<typeof UsageAggregateSchema>;

/** Downstream revenue reported for a revenue-share license, in the license token's base units. */
export const RevenueReportSchema = z.object({
  licenseId: Bytes32Schema,
  epoch: z.number().int().nonnegative(),
  revenue: AmountSchema,
});
export type RevenueReport = z.output<typeof RevenueReportSchema>;

export const EpochWindowSchema = z
  .object({
    epoch: z.number().int().nonnegative(),
    start: UnixSecondsSchema,
    end: UnixSecondsSchema,
  })
  .refine((w) => w.start < w.end, "epoch window must have start < end");
export type EpochWindow = z.output<typeof EpochWindowSchema>;

export const PlatformFeeSchema = z.object({
  bps: BpsSchema,
  /** Receives the fee as an ordinary leaf (account, token, cumulative). */
  treasury: AddressSchema,
});
export type PlatformFee = z.output<typeof PlatformFeeSchema>;

// ---------------------------------------------------------------------------------------------
// Carried state (output of epoch n, input of epoch n+1)
// ---------------------------------------------------------------------------------------------

export const CumulativeAllocationSchema = z.object({
  account: AddressSchema,
  token: AddressSchema,
  amount: AmountSchema,
});
export type CumulativeAllocation = z.output<typeof CumulativeAllocationSchema>;

export const OwedSchema = z.object({ datasetId: Bytes32Schema, amount: AmountSchema });
export type Owed = z.output<typeof OwedSchema>;

/**
 * Per-license carried state. Invariant: `recognized ≤ deposited` (every recognized unit was drawn
 * from confirmed deposits, so "escrow used" = `recognized`, and the escrow balance is the difference).
 */
export const LicenseStateSchema = z.object({
  licenseId: Bytes32Schema,
  token: AddressSchema,
  /** Confirmed deposits to date. */
  deposited: AmountSchema,
  /** Recognized (= drawn from deposits) to date. */
  recognized: AmountSchema,
  /** Per-use / revenue-share amounts due but not yet covered by deposits, per dataset (ascending id). */
  owed: z.array(OwedSchema).default([]),
});
export type LicenseState = z.output<typeof LicenseStateSchema>;

export const SettlementStateSchema = z.object({
  /** The epoch this state closes. */
  epoch: z.number().int().nonnegative(),
  /** Its window end; the next epoch must start here. */
  epochEnd: UnixSecondsSchema,
  /** Every (account, token) ever allocated, ascending (account, token). */
  cumulative: z.array(CumulativeAllocationSchema),
  /** Every license ever seen, ascending id. */
  licenses: z.array(LicenseStateSchema),
});
export type SettlementState = z.output<typeof SettlementStateSchema>;

// ---------------------------------------------------------------------------------------------
// Engine input and output
// ---------------------------------------------------------------------------------------------

export const SettlementInputSchema = z.object({
  window: EpochWindowSchema,
  platformFee: PlatformFeeSchema,
  datasets: z.array(DatasetSchema),
  licenses: z.array(LicenseSchema),
  deposits: z.array(ConfirmedDepositSchema).default([]),
  usage: z.array(UsageAggregateSchema).default([]),
  revenue: z.array(RevenueReportSchema).default([]),
  /** `null` for the first epoch. */
  previous: SettlementStateSchema.nullable(),
});
/** What the service passes in (strings allowed for amounts, any address case). */
export type SettlementInputRaw = z.input<typeof SettlementInputSchema>;
/** What the engine consumes. */
export type SettlementInput = z.output<typeof SettlementInputSchema>;

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
  /** Confirmed deposits not (yet) recognized: partial one-time fees, unused escrow, excess. */
  escrowBalance: bigint;
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
  | "revenueWrongEpoch";

/** Count and sum (token base units for deposits and revenue, units for usage) per reason. */
export type RejectionSummary = Record<RejectionReason, { count: number; sum: bigint }>;

export interface SettlementReport {
  epoch: number;
  counts: { datasets: number; licenses: number; deposits: number; usage: number; revenue: number; accounts: number };
  /** Ascending token. */
  tokens: TokenReport[];
  rejected: RejectionSummary;
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
}
