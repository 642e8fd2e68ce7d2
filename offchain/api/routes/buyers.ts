import { addressOf, buyerIdOf } from "../auth/actor";
import { createApiKey, listApiKeys, registerBuyer, revokeApiKey } from "../services/buyers";
import { createOffer, listOffers } from "../services/offers";
import { depositInstructions, licenseView, listLicenses, ownLicense, takeLicense } from "../services/licenses";
import { ingestUsage } from "../services/usage";
import { defineRoute } from "../route";
import { Address, Bytes32, Bytes32AnyCase, IsoDate, PositiveAmount, Amount, Scope, Uuid, z } from "../schemas";

const BUYER = { kind: "session", roles: ["buyer"] } as const;
const MAX_DURATION = 100 * 365 * 86_400;

const OfferCommon = {
  token: Address,
  scope: Scope,
  exclusive: z.boolean().default(false),
  durationSeconds: z.number().int().min(60).max(MAX_DURATION),
  datasets: z
    .array(z.strictObject({ datasetId: Bytes32, weightBps: z.number().int().min(1).max(10_000) }))
    .min(1)
    .max(100),
};
const OfferBody = z.discriminatedUnion("model", [
  z.strictObject({ model: z.literal("one_time"), price: PositiveAmount, ...OfferCommon }),
  z.strictObject({
    model: z.literal("subscription"),
    price: PositiveAmount,
    periodSeconds: z.number().int().min(60).max(MAX_DURATION),
    ...OfferCommon,
  }),
  z.strictObject({ model: z.literal("per_use"), ratePerUnit: PositiveAmount, ...OfferCommon }),
  z.strictObject({
    model: z.literal("revenue_share"),
    revenueBps: z.number().int().min(1).max(10_000),
    ...OfferCommon,
  }),
]);
const Terms = {
  model: z.string(),
  token: z.string(),
  scope: z.string(),
  price: z.string().nullable(),
  periodSeconds: z.number().nullable(),
  ratePerUnit: z.string().nullable(),
  revenueBps: z.number().nullable(),
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
    termsHash: z.string().nullable(),
    consentBasis: z.unknown(),
    ...Terms,
  })
  .openapi("License");
const LicenseParams = z.strictObject({ licenseId: Bytes32 });

export const UsageEvent = z.strictObject({
  licenseId: Bytes32AnyCase,
  datasetId: Bytes32AnyCase,
  itemRef: z.string().min(1).max(200),
  units: Amount,
  occurredAt: IsoDate,
  idempotencyKey: z.string().min(1).max(200),
});

/** The largest usage batch accepted: one statement of this size stays well under a second. */
export const MAX_USAGE_BATCH = 10_000;
export const UsageBatch = z.strictObject({ events: z.array(UsageEvent).min(1).max(MAX_USAGE_BATCH) });

export const buyerRoutes = [
  defineRoute({
    method: "post",
    path: "/v1/buyers",
    summary: "Register the signed-in address as a buyer (grants the buyer role)",
    tag: "buyers",
    access: { kind: "session" },
    body: z.strictObject({ name: z.string().min(1).max(200) }),
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
    response: { status: 201, schema: Offer, description: "Offer" },
    async handler({ services, actor, body }) {
      return { status: 201, body: await createOffer(services.deps, addressOf(actor), body) };
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
    response: { status: 200, schema: License, description: "License" },
    async handler({ services, actor, params }) {
      return { body: licenseView(await ownLicense(services.deps, addressOf(actor), params.licenseId)) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/licenses/:licenseId/deposit-instructions",
    summary: "Contract, licenseId, token and amount to deposit on-chain",
    tag: "buyers",
    access: BUYER,
    params: LicenseParams,
    response: {
      status: 200,
      schema: z.object({
        chainId: z.number(),
        contract: z.string(),
        licenseId: z.string(),
        token: z.string(),
        amount: z.string().nullable(),
        termsHash: z.string().nullable(),
        note: z.string(),
      }),
      description: "Deposit instructions",
    },
    async handler({ services, actor, params }) {
      return { body: await depositInstructions(services.deps, addressOf(actor), params.licenseId) };
    },
  }),
  defineRoute({
    method: "post",
    path: "/v1/usage",
    summary: "Report a batch of usage events (API key). All-or-nothing; idempotent per idempotencyKey",
    tag: "buyers",
    access: { kind: "apiKey" },
    body: UsageBatch,
    response: {
      status: 200,
      schema: z.object({ received: z.number(), accepted: z.number(), duplicates: z.number() }),
      description: "Stored (committed) before this reply; duplicates were already stored",
    },
    async handler({ services, actor, body }) {
      return { body: await ingestUsage(services.deps, buyerIdOf(actor), body.events) };
    },
  }),
];
