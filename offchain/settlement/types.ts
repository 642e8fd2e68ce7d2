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
import { fastList, quickContributor, quickCumulative, quickLicenseDataset, quickUsage } from "./fastList";

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

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/**
 * Token base units: a non-negative bigint, or its decimal string as stored in the database.
 * One custom check rather than a union: a union's failing branch builds an issue per row, which
 * made parsing a million usage rows several times slower.
 */
export const AmountSchema = z
  .custom<bigint | string>(
    (v) => (typeof v === "bigint" ? v >= 0n : typeof v === "string" && DECIMAL.test(v)),
    "amount must be a non-negative bigint or decimal integer string",
  )
  .transform((v): bigint => (typeof v === "bigint" ? v : BigInt(v)));

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

/**
 * A share change that takes effect at `at` (unix seconds, inside the epoch window): revenue earned
 * from `at` on (subscription time, one-time recognition time, usage event time) is split by these
 * contributors instead of the ones before.
 */
export const ShareChangeSchema = z.object({
  at: UnixSecondsSchema,
  contributors: fastList(ContributorSchema, quickContributor),
});
export type ShareChange = z.output<typeof ShareChangeSchema>;

export const DatasetSchema = z.object({
  id: Bytes32Schema,
  /**
   * The shares in effect at the window's start. Not refined here: a dataset whose shares are invalid
   * (empty, not summing to 10,000, naming the zero address, the splitter or a token) is skipped and
   * reported by the engine, so it cannot block any other dataset's settlement.
   */
  contributors: fastList(ContributorSchema, quickContributor),
  /** Share changes inside the window, any order (`at` distinct). */
  changes: z.array(ShareChangeSchema).default([]),
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
  datasets: fastList(LicenseDatasetSchema, quickLicenseDataset).refine(
    (d) => d.length >= 1,
    "a license covers at least one dataset",
  ),
  model: LicenseModelSchema,
  exclusivity: z.array(ExclusivitySchema).default([]),
  /**
   * The buyer's wallet: refunds of this license become cumulative leaves (payer, token). Absent: the
   * refundable amount stays visible escrow (reported), never allocated to anyone else.
   */
  payer: AddressSchema.optional(),
  /** End of the term (exclusive), when the license has one; see lifecycle.ts for what it means per model. */
  endsAt: UnixSecondsSchema.optional(),
  /** When the buyer (or the offer's terms) cancelled the license; see lifecycle.ts. */
  cancelledAt: UnixSecondsSchema.optional(),
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
  /** The depositing address: a deposit that can never be recognized is refunded to it. */
  payer: AddressSchema.optional(),
  /** Confirmation time (unix seconds); starts the grace period of a deposit to an unknown license. */
  at: UnixSecondsSchema.optional(),
});
export type ConfirmedDeposit = z.output<typeof ConfirmedDepositSchema>;

/**
 * Units used under a per-use license on one dataset in one epoch; (licenseId, datasetId, epoch) is
 * unique (a duplicate is refused: summing it would charge twice). Rows for another epoch than the
 * one being settled, another model, or a dataset the license does not cover are set aside and counted.
 */
export const UsageAggregateSchema = z.object({
  licenseId: Bytes32Schema,
  datasetId: Bytes32Schema,
  epoch: z.number().int().nonnegative(),
  units: AmountSchema,
  /**
   * Event time of the rows aggregated here; selects the dataset's shares in effect then. Absent: the
   * window's start. Rows of one (license, dataset) in different share periods come as separate aggregates.
   */
  at: UnixSecondsSchema.optional(),
});
export type UsageAggregate = z.output<typeof UsageAggregateSchema>;

/**
 * Downstream revenue reported for a revenue-share license, in the license token's base units.
 * Several reports of the same epoch are summed before the bps are applied (one rounding per epoch).
 */
export const RevenueReportSchema = z.object({
  licenseId: Bytes32Schema,
  epoch: z.number().int().nonnegative(),
  revenue: AmountSchema,
  /** The dataset the revenue was earned on, honoured inside a bundle; absent: split by bundle weight. */
  datasetId: Bytes32Schema.optional(),
  /** Event time (share period), as for usage. */
  at: UnixSecondsSchema.optional(),
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
  /**
   * The account's exact entitlement to date × {@link EXACT_SCALE} (an integer: shares are bps of a net
   * that is itself bps of the gross). Rounding is applied to this cumulative, not to each epoch's
   * increment (round.ts). Absent in states written before it existed: taken as `amount × EXACT_SCALE`.
   */
  exact: AmountSchema.optional(),
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
  /** Refunded to the payer to date (a cumulative leaf). Invariant: recognized + refunded ≤ deposited. */
  refunded: AmountSchema.default(0n),
  /** Corrections after close not yet set against later charges, per dataset (ascending id). */
  credit: z.array(OwedSchema).default([]),
});
export type LicenseState = z.output<typeof LicenseStateSchema>;

/**
 * A confirmed deposit that no license can take (yet): its license id is unknown. It waits for the license to
 * appear, and is refunded to its payer once `at + unknownLicenseGraceSeconds` has passed.
 */
export const HeldDepositSchema = z.object({
  licenseId: Bytes32Schema,
  token: AddressSchema,
  amount: AmountSchema,
  payer: AddressSchema.optional(),
  at: UnixSecondsSchema.optional(),
});
export type HeldDeposit = z.output<typeof HeldDepositSchema>;

/** Per-token money ledger to date: deposited = recognized + refunded + escrow (licenses + held), exactly. */
export const LedgerEntrySchema = z.object({
  token: AddressSchema,
  deposited: AmountSchema,
  recognized: AmountSchema,
  refunded: AmountSchema,
});
export type LedgerEntry = z.output<typeof LedgerEntrySchema>;

/** Exact entitlements are kept as integers × 10⁸ (bps of bps). */
export const EXACT_SCALE = 100_000_000n;

export const SettlementStateSchema = z.object({
  /** The epoch this state closes. */
  epoch: z.number().int().nonnegative(),
  /** Its window end; the next epoch must start here. */
  epochEnd: UnixSecondsSchema,
  /** Every (account, token) ever allocated, ascending (account, token). */
  cumulative: fastList(CumulativeAllocationSchema, quickCumulative),
  /** Every license ever seen, ascending id. */
  licenses: z.array(LicenseStateSchema),
  /** Deposits to unknown licenses still waiting (ascending license id, then payer, then at). */
  held: z.array(HeldDepositSchema).default([]),
  /** Ascending token; absent in states written before it existed (then rebuilt from the licenses). */
  ledger: z.array(LedgerEntrySchema).optional(),
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
  usage: fastList(UsageAggregateSchema, quickUsage).default([]),
  revenue: z.array(RevenueReportSchema).default([]),
  /** Corrections of already-settled usage: credited against the license's later charges (never clawed back). */
  credits: z.array(z.object({ licenseId: Bytes32Schema, datasetId: Bytes32Schema, amount: AmountSchema })).default([]),
  /** The splitter contract: never a valid contributor or payer (a leaf for it could never be claimed usefully). */
  splitter: AddressSchema.optional(),
  lifecycle: z
    .object({
      /** A deposit to an unknown license id is refunded to its payer this long after confirmation. */
      unknownLicenseGraceSeconds: UnixSecondsSchema.default(7 * 86_400),
      /** Usage may arrive this long after a per-use / revenue-share license ends; its escrow is refunded after. */
      lateUsageGraceSeconds: UnixSecondsSchema.default(0),
    })
    .default({ unknownLicenseGraceSeconds: 7 * 86_400, lateUsageGraceSeconds: 0 }),
  /** `null` for the first epoch. */
  previous: SettlementStateSchema.nullable(),
});
/** What the service passes in (strings allowed for amounts, any address case). */
export type SettlementInputRaw = z.input<typeof SettlementInputSchema>;
/** What the engine consumes. */
export type SettlementInput = z.output<typeof SettlementInputSchema>;

// Output types live in result.ts; re-exported so `types.ts` stays the one import for the contract.
export * from "./result";
