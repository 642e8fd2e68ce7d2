import { addressOf, buyerIdOf } from "../auth/actor";
import { createApiKey, listApiKeys, registerBuyer, revokeApiKey } from "../services/buyers";
import { createOffer, listOffers } from "../services/offers";
import { cancelLicense, depositInstructions, getLicense, listLicenses, takeLicense } from "../services/licenses";
import { licenseMoney } from "../services/license-money";
import { ingestUsage } from "../services/usage";
import { correctUsage } from "../services/usage-corrections";
import { buyerUsageReceipt } from "../services/usage-receipts";
import { defineRoute } from "../route";
import { Address, Bytes32, Bytes32AnyCase, IsoDate, PositiveAmount, Amount, Scope, Text, Uuid, z } from "../schemas";

const BUYER = { kind: "session", roles: ["buyer"] } as const;
const MAX_DURATION = 100 * 365 * 86_400;

const OfferCommon = {
  token: Address.openapi({ description: "The ERC-20 the license is paid in; must be allowed on the splitter" }),
  scope: Scope,
  exclusive: z.boolean().default(false).openapi({ description: "No other license may overlap on a dataset and scope" }),
  durationSeconds: z
    .number()
    .int()
    .min(60)
    .max(MAX_DURATION)
    .openapi({ description: "How long a license taken on this offer lasts, from its startsAt" }),
  datasets: z
    .array(z.strictObject({ datasetId: Bytes32, weightBps: z.number().int().min(1).max(10_000) }))
    .min(1)
    .max(100)
    .openapi({ description: "The caller's datasets in the bundle, with weights (bps) summing to 10,000" }),
};
const OfferBody = z
  .discriminatedUnion("model", [
    z
      .strictObject({
        model: z.literal("one_time"),
        price: PositiveAmount.openapi({ description: "The fee, paid once, in base units of `token`" }),
        ...OfferCommon,
      })
      .openapi("OneTimeOfferTerms"),
    z
      .strictObject({
        model: z.literal("subscription"),
        price: PositiveAmount.openapi({ description: "The fee per period, in base units of `token`" }),
        periodSeconds: z.number().int().min(60).max(MAX_DURATION).openapi({ description: "Length of one period" }),
        ...OfferCommon,
      })
      .openapi("SubscriptionOfferTerms"),
    z
      .strictObject({
        model: z.literal("per_use"),
        ratePerUnit: PositiveAmount.openapi({
          description: "Owed per reported usage unit, in base units of `token`, drawn from the buyer's escrow",
        }),
        creditLimit: Amount.default("0").openapi({
          description:
            "How far (base units of `token`) a buyer's unpaid usage may exceed its escrow; usage beyond escrow + " +
            "creditLimit is refused with 402 and the deposit instructions",
        }),
        ...OfferCommon,
      })
      .openapi("PerUseOfferTerms"),
    z
      .strictObject({
        model: z.literal("revenue_share"),
        revenueBps: z
          .number()
          .int()
          .min(1)
          .max(10_000)
          .openapi({
            description:
              "Share of the buyer's revenue owed, in basis points. The buyer reports revenue as usage events " +
              "whose `units` are the revenue in base units of `token`",
          }),
        ...OfferCommon,
      })
      .openapi("RevenueShareOfferTerms"),
  ])
  .openapi({ description: "License terms; `model` selects the pricing model and its fields" });
const Terms = {
  model: z.string(),
  token: z.string(),
  scope: z.string(),
  price: z.string().nullable().openapi({ description: "Fee (per period for subscriptions) in base units of token" }),
  periodSeconds: z.number().nullable().openapi({ description: "Subscription period length in seconds" }),
  ratePerUnit: z.string().nullable().openapi({ description: "Per-use rate per unit in base units of token" }),
  revenueBps: z.number().nullable().openapi({ description: "Revenue share in basis points (revenue_share only)" }),
  creditLimit: z.string().openapi({
    description: "Base units of token usage may run beyond escrow before it is refused with 402 (per_use; else 0)",
  }),
  exclusive: z.boolean(),
  datasets: z.array(z.object({ datasetId: z.string(), weightBps: z.number() })),
};
const Offer = z
  .object({
    id: z.string(),
    durationSeconds: z.number(),
    status: z.string(),
    termsHash: z.string().nullable(),
    ...Terms,
  })
  .openapi("Offer");
const License = z
  .object({
    licenseId: z.string(),
    offerId: z.string(),
    startsAt: IsoDate,
    endsAt: IsoDate,
    status: z.string(),
    cancelledAt: IsoDate.nullable(),
    onEnd: z.string(),
    termsHash: z.string().nullable(),
    consentBasis: z.unknown(),
    balance: z
      .object({
        escrow: z.string().openapi({ description: "Confirmed deposits not yet recognized or refunded" }),
        charges: z.string().openapi({ description: "Charges not yet drawn: carried shortfalls and unsettled usage" }),
        owed: z.string().openapi({ description: "What the charges exceed the escrow by: deposit at least this" }),
        available: z.string().openapi({ description: "What the escrow exceeds the charges by" }),
        creditLimit: z.string(),
      })
      .openapi({ description: "What the license holds and owes now, in base units of token" }),
    ...Terms,
  })
  .openapi("License");
const LicenseParams = z.strictObject({ licenseId: Bytes32 });

/** A usage-inclusion receipt (format in offchain/merkle/usage-commitment.ts), verifiable offline. */
export const UsageReceipt = z
  .object({
    format: z.literal("tributary-usage-receipt"),
    version: z.literal(1),
    epoch: z.number(),
    root: z.string().openapi({ description: "The epoch's usageRoot, as in its distribution file's header" }),
    record: z.record(z.string(), z.string()).openapi({ description: "The committed record (event or aggregate)" }),
    salt: z.string(),
    proof: z.array(z.string()),
  })
  .openapi("UsageReceipt");

export const UsageEvent = z.strictObject({
  licenseId: Bytes32AnyCase,
  datasetId: Bytes32AnyCase,
  itemRef: Text(200),
  units: Amount.openapi({
    description:
      "Usage units consumed (per-use licenses), or revenue earned in base units of the license token " +
      "(revenue-share licenses: 10^decimals base units per whole token, `decimals` as in the deposit instructions)",
  }),
  currency: Address.optional().openapi({
    description:
      "Revenue-share licenses only, and required there: the token the revenue in `units` is stated in, which must " +
      "be the license token (422 currency-required / currency-mismatch otherwise). Revenue earned on one dataset " +
      "of a bundle is charged on that dataset (`datasetId`), not re-split by weight",
  }),
  occurredAt: IsoDate,
  idempotencyKey: Text(200),
});

/** The largest usage batch accepted: one statement of this size stays well under a second. */
export const MAX_USAGE_BATCH = 10_000;
export const UsageBatch = z.strictObject({ events: z.array(UsageEvent).min(1).max(MAX_USAGE_BATCH) });

export const UsageCorrection = z.strictObject({
  licenseId: Bytes32AnyCase,
  idempotencyKey: Text(200).openapi({ description: "The idempotencyKey of the original event corrected" }),
  units: Amount.openapi({
    description: "The corrected units (≥ 0), lower than the event's units (or its last correction's)",
  }),
  correctionKey: Text(200).openapi({ description: "Idempotency key of this correction" }),
});
export const UsageCorrectionBatch = z.strictObject({
  corrections: z.array(UsageCorrection).min(1).max(MAX_USAGE_BATCH),
});

export const buyerRoutes = [
  defineRoute({
    method: "post",
    path: "/v1/buyers",
    summary: "Register the signed-in address as a buyer (grants the buyer role)",
    tag: "buyers",
    access: { kind: "session" },
    body: z.strictObject({ name: Text(200) }),
    errors: { 409: "The address is already registered as a buyer" },
    response: {
      status: 201,
      schema: z.object({ id: z.string(), address: z.string(), name: z.string(), createdAt: IsoDate }),
      description: "Registered",
    },
    async handler({ services, actor, body }) {
      return { status: 201, body: await registerBuyer(services.deps, addressOf(actor), body.name) };
    },
  }),
  defineRoute({
    method: "post",
    path: "/v1/buyers/me/api-keys",
    summary: "Create an API key for usage reporting (returned once, stored hashed)",
    tag: "buyers",
    access: BUYER,
    body: z.strictObject({}).optional(),
    errors: { 403: "The caller is not registered as a buyer (or lacks the buyer role)" },
    response: {
      status: 201,
      schema: z.object({ id: z.string(), key: z.string(), prefix: z.string(), createdAt: IsoDate }),
      description: "Key",
    },
    async handler({ services, actor }) {
      return { status: 201, body: await createApiKey(services.deps, addressOf(actor)) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/buyers/me/api-keys",
    summary: "The caller's API keys (prefixes only)",
    tag: "buyers",
    access: BUYER,
    errors: { 403: "The caller is not registered as a buyer (or lacks the buyer role)" },
    response: {
      status: 200,
      schema: z.array(
        z.object({ id: z.string(), prefix: z.string(), createdAt: IsoDate, revokedAt: IsoDate.nullable() }),
      ),
      description: "Keys",
    },
    async handler({ services, actor }) {
      return { body: await listApiKeys(services.deps, addressOf(actor)) };
    },
  }),
  defineRoute({
    method: "delete",
    path: "/v1/buyers/me/api-keys/:keyId",
    summary: "Revoke one of the caller's API keys",
    tag: "buyers",
    access: BUYER,
    params: z.strictObject({ keyId: Uuid }),
    errors: {
      403: "The caller is not registered as a buyer (or lacks the buyer role)",
      404: "No such key of the caller's",
      409: "The key is already revoked",
    },
    response: { status: 200, schema: z.object({ id: z.string(), revoked: z.boolean() }), description: "Revoked" },
    async handler({ services, actor, params }) {
      return { body: await revokeApiKey(services.deps, addressOf(actor), params.keyId) };
    },
  }),
  defineRoute({
    method: "post",
    path: "/v1/offers",
    summary: "Offer license terms on the caller's datasets (one dataset or a weighted bundle)",
    tag: "creators",
    access: { kind: "session", roles: ["creator"] },
    body: OfferBody,
    errors: {
      422: "A dataset is listed twice or is not an active dataset of the caller's, weights do not sum to 10,000 bps, or the token is not allowed on the splitter",
      503: "The splitter's token allow-list could not be read; retry",
    },
    response: { status: 201, schema: Offer, description: "Offer" },
    async handler({ services, actor, body }) {
      return { status: 201, body: await createOffer(services.deps, addressOf(actor), body, services.tokens) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/offers",
    summary: "Open offers",
    tag: "buyers",
    access: { kind: "session" },
    response: { status: 200, schema: z.array(Offer), description: "Offers" },
    async handler({ services }) {
      return { body: await listOffers(services.deps) };
    },
  }),
  defineRoute({
    method: "post",
    path: "/v1/licenses",
    summary: "Take a license on an offer; an exclusivity conflict is a 409 naming the dataset, scope and window",
    tag: "buyers",
    access: BUYER,
    body: z.strictObject({ offerId: Uuid, startsAt: IsoDate.optional() }),
    errors: {
      403: "The caller is not registered as a buyer",
      404: "No such open offer",
      409: "An exclusivity conflict: the problem's `conflict` names the dataset, scope and window",
      422: "A dataset of the offer has no documented consent basis for its scope",
    },
    response: { status: 201, schema: License, description: "License, with the bytes32 licenseId deposits reference" },
    async handler({ services, actor, body }) {
      return { status: 201, body: await takeLicense(services.deps, addressOf(actor), body) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/licenses",
    summary: "The caller's licenses",
    tag: "buyers",
    access: BUYER,
    errors: { 403: "The caller is not registered as a buyer" },
    response: { status: 200, schema: z.array(License), description: "Licenses" },
    async handler({ services, actor }) {
      return { body: await listLicenses(services.deps, addressOf(actor)) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/licenses/:licenseId",
    summary: "One of the caller's licenses",
    tag: "buyers",
    access: BUYER,
    params: LicenseParams,
    errors: { 404: "No such license of the caller's" },
    response: { status: 200, schema: License, description: "License" },
    async handler({ services, actor, params }) {
      return { body: await getLicense(services.deps, addressOf(actor), params.licenseId) };
    },
  }),
  defineRoute({
    method: "post",
    path: "/v1/licenses/:licenseId/cancel",
    summary: "Cancel one of the caller's active licenses now; refunds become leaves for the buyer's address",
    tag: "buyers",
    access: BUYER,
    params: LicenseParams,
    errors: {
      404: "No such license of the caller's",
      409: "The license is not active (already cancelled or ended)",
    },
    response: { status: 200, schema: License, description: "The cancelled license, with what ending means in money" },
    async handler({ services, actor, params }) {
      return { body: await cancelLicense(services.deps, addressOf(actor), params.licenseId) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/licenses/:licenseId/money",
    summary:
      "One of the caller's licenses in money, as of the last epoch that stood: deposited = recognized + refunded + escrow",
    tag: "buyers",
    access: BUYER,
    params: LicenseParams,
    errors: { 404: "No such license of the caller's" },
    response: {
      status: 200,
      schema: z
        .object({
          licenseId: z.string(),
          token: z.string(),
          status: z.string(),
          asOfEpoch: z
            .number()
            .int()
            .nullable()
            .openapi({ description: "The epoch the figures are from; null before an epoch settled this license" }),
          deposited: Amount.openapi({ description: "Confirmed deposits settled to date, base units of token" }),
          recognized: Amount.openapi({ description: "Paid to the creators to date" }),
          refunded: Amount.openapi({
            description:
              "Refunded to date: part of the buyer's cumulative leaf, claimable with GET /v1/proofs/:account",
          }),
          escrow: Amount.openapi({ description: "Deposited, neither recognized nor refunded (yet)" }),
          owed: Amount.openapi({ description: "Usage charged beyond the escrow, not yet covered by deposits" }),
        })
        .openapi("LicenseMoney"),
      description: "The license's money",
    },
    async handler({ services, actor, params }) {
      return { body: await licenseMoney(services.deps, addressOf(actor), params.licenseId) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/licenses/:licenseId/deposit-instructions",
    summary: "Contract, licenseId, token and amount to deposit on-chain",
    tag: "buyers",
    access: BUYER,
    params: LicenseParams,
    errors: { 404: "No such license of the caller's" },
    response: {
      status: 200,
      schema: z.object({
        chainId: z.number(),
        contract: z.string(),
        licenseId: z.string(),
        token: z.string(),
        decimals: z
          .number()
          .int()
          .nullable()
          .openapi({
            description:
              "The token's decimals: every amount of this API is in base units, 10^decimals per whole token " +
              "(null when the token's decimals cannot be read)",
          }),
        amount: z
          .string()
          .nullable()
          .openapi({ description: "Base units of token to deposit; null for escrow models (any amount)" }),
        termsHash: z.string().nullable(),
        note: z.string(),
      }),
      description: "Deposit instructions",
    },
    async handler({ services, actor, params }) {
      return { body: await depositInstructions(services.deps, addressOf(actor), params.licenseId, services.tokens) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/licenses/:licenseId/usage-receipt",
    summary: "Proof that one of the caller's usage events was counted in the epoch that billed it",
    tag: "buyers",
    access: BUYER,
    params: LicenseParams,
    query: z.strictObject({ idempotencyKey: Text(200) }),
    errors: {
      404: "No such license of the caller's, or no such event on it",
      409: "The event is not billed yet, its license model bills no usage, or its epoch has no usage commitment",
    },
    response: {
      status: 200,
      schema: z.object({ epoch: z.number(), contentHash: z.string(), receipt: UsageReceipt }),
      description:
        "The receipt, and the contentHash of the epoch's distribution file whose header carries the root it verifies against",
    },
    async handler({ services, actor, params, query }) {
      return {
        body: await buyerUsageReceipt(services.deps, addressOf(actor), params.licenseId, query.idempotencyKey),
      };
    },
  }),
  defineRoute({
    method: "post",
    path: "/v1/usage",
    summary: "Report a batch of usage events (API key). All-or-nothing; idempotent per idempotencyKey",
    tag: "buyers",
    access: { kind: "apiKey" },
    body: UsageBatch,
    errors: {
      402:
        "Per-use usage would exceed a license's escrow + credit limit; nothing was stored. `licenses` lists, per " +
        "such license, what it would owe, its credit limit and the deposit instructions",
      409: "An idempotencyKey already stored with a different event; nothing was stored",
      422: "Some events are refused (each listed with its index and a code); nothing was stored",
    },
    response: {
      status: 200,
      schema: z.object({ received: z.number(), accepted: z.number(), duplicates: z.number() }),
      description: "Stored (committed) before this reply; duplicates were already stored",
    },
    async handler({ services, actor, body }) {
      return { body: await ingestUsage(services.deps, buyerIdOf(actor), body.events, {}, services.tokens) };
    },
  }),
  defineRoute({
    method: "post",
    path: "/v1/usage/corrections",
    summary: "Correct own usage events to lower units (API key). All-or-nothing; idempotent per correctionKey",
    description:
      "Before a closed epoch bills the event, the event is voided and the corrected event (if units > 0) stored in " +
      "its place: the epoch bills the corrected units only (`applied: voided`). After, billed amounts and every " +
      "cumulative stay as published; the correction becomes a credit of (previous − corrected units) × ratePerUnit, " +
      "in base units of the license token, set by the next close against the license's owed and later charges " +
      "(`applied: credit`). Credit still unused when the license ends is not refunded (only escrow left is). " +
      "Revenue-share events can be corrected only before their epoch closes. A vetoed epoch's credits are " +
      "applied again by the next close.",
    tag: "buyers",
    access: { kind: "apiKey" },
    body: UsageCorrectionBatch,
    errors: {
      402: "The corrected event would exceed a license's escrow + credit limit (as for usage); nothing was stored",
      404: "Some corrections name no usage event of the caller's on that license (each listed); nothing was stored",
      409: "A correctionKey already stored with a different correction; nothing was stored",
      422: "Some corrections are refused (units not lower, not billable, …; each listed with a code); nothing stored",
    },
    response: {
      status: 200,
      schema: z.object({
        received: z.number(),
        applied: z.number(),
        duplicates: z.number(),
        corrections: z.array(
          z.object({
            correctionKey: z.string(),
            applied: z.enum(["voided", "credit"]),
            credit: z.string().openapi({ description: "Base units of the license token credited (0 when voided)" }),
            duplicate: z.boolean(),
          }),
        ),
      }),
      description: "Stored (committed) before this reply; duplicates were already stored",
    },
    async handler({ services, actor, body }) {
      return { body: await correctUsage(services.deps, buyerIdOf(actor), body.corrections) };
    },
  }),
];
