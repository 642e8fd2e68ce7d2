/**
 * Consent governance routes (issue 13): rights attestations and consent coverage, signed receipts, revocation
 * feed, webhooks, terms documents (canonical JSON, RSL XML, CAWG assertion) and documentation exports.
 */
import type { Hex } from "viem";
import { addressOf } from "../auth/actor";
import type { Actor } from "../auth/actor";
import { unauthorized } from "../errors";
import { consentCoverage, recordAttestation, withdrawAttestation } from "../services/consent-basis";
import { dataSheet, summaryHtml, trainingSummary } from "../services/exports";
import { publishedSigner, receiptsOf } from "../services/receipts";
import { revocationFeed } from "../services/revocations";
import { importRsl, offerRsl } from "../services/rsl";
import { tdmAssertion } from "../services/tdm";
import { exportTerms } from "../services/terms";
import { disableWebhook, listDeliveries, listWebhooks, registerWebhook } from "../services/webhooks";
import { WEBHOOK_EVENTS } from "../../webhooks/events";
import { defineRoute } from "../route";
import { Bytes32, IsoDate, Scope, Uuid, z } from "../schemas";

const CREATOR = { kind: "session", roles: ["creator"] } as const;
const BUYER = { kind: "session", roles: ["buyer"] } as const;
const PARTY = { kind: "session", roles: ["creator", "buyer"] } as const;
const DatasetParams = z.strictObject({ datasetId: Bytes32 });
const Signature = z.string().regex(/^0x[0-9a-fA-F]{130}$/, "expected a 65-byte 0x-hex signature");
const rolesOf = (a: Actor) => (a.kind === "session" ? a.roles : []);

const Attestation = z
  .object({
    id: z.string(),
    datasetId: z.string(),
    scope: Scope,
    signer: z.string(),
    statement: z.string(),
    issuedAt: IsoDate,
    signature: z.string(),
    withdrawnAt: IsoDate.nullable(),
  })
  .openapi("RightsAttestation");
const SignedReceipt = z
  .object({
    format: z.string(),
    signer: z.string(),
    domain: z.object({ name: z.string(), version: z.string(), chainId: z.number() }),
    primaryType: z.string(),
    message: z.record(z.string(), z.string()),
    signature: z.string(),
  })
  .openapi("SignedConsentReceipt");
const Webhook = z.object({
  id: z.string(),
  role: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  createdAt: IsoDate,
  disabledAt: IsoDate.nullable(),
});

export const consentRoutes = [
  defineRoute({
    method: "post",
    path: "/v1/datasets/:datasetId/attestations",
    summary:
      "Record the creator's EIP-712 signed attestation that it holds all rights and no third-party personal data",
    tag: "creators",
    access: CREATOR,
    params: DatasetParams,
    body: z.strictObject({ scope: Scope, issuedAt: IsoDate, signature: Signature }),
    errors: {
      404: "No such dataset of the caller's",
      422: "The signature does not recover to the caller or the attestation is stale",
    },
    response: { status: 201, schema: Attestation, description: "Attestation (a consent basis for the scope)" },
    async handler({ services, actor, params, body }) {
      const input = { ...body, signature: body.signature as Hex };
      return { status: 201, body: await recordAttestation(services.deps, addressOf(actor), params.datasetId, input) };
    },
  }),
  defineRoute({
    method: "post",
    path: "/v1/attestations/:attestationId/withdraw",
    summary:
      "Withdraw one of the caller's rights attestations: no basis from now on; licensees get a notice like a revocation",
    tag: "creators",
    access: CREATOR,
    params: z.strictObject({ attestationId: Uuid }),
    body: z.strictObject({}),
    errors: {
      404: "No such attestation on the caller's datasets",
      409: "The attestation is already withdrawn",
    },
    response: {
      status: 200,
      schema: Attestation.extend({ notifiedLicenses: z.number().int() }),
      description: "The withdrawn attestation and how many active licenses were notified",
    },
    async handler({ services, actor, params }) {
      return { body: await withdrawAttestation(services.deps, addressOf(actor), params.attestationId) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/datasets/:datasetId/consent-coverage",
    summary: "Consent basis and receipt counts per scope of one of the caller's datasets",
    tag: "creators",
    access: CREATOR,
    params: DatasetParams,
    errors: {
      404: "No such dataset of the caller's",
    },
    response: { status: 200, schema: z.array(z.record(z.string(), z.unknown())), description: "Coverage per scope" },
    async handler({ services, actor, params }) {
      return { body: await consentCoverage(services.deps, addressOf(actor), params.datasetId) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/consents/:consentId/receipts",
    summary: "The consent's signed receipts: the grant, and the revocation once revoked",
    tag: "creators",
    access: CREATOR,
    params: z.strictObject({ consentId: Uuid }),
    errors: {
      404: "No such consent record of the caller's",
    },
    response: {
      status: 200,
      schema: z.object({ grant: SignedReceipt, revocation: z.union([SignedReceipt, z.null()]) }),
      description: "Receipts",
    },
    async handler({ services, actor, params }) {
      return { body: await receiptsOf(services.deps, addressOf(actor), params.consentId) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/receipts/signer",
    summary: "The address and EIP-712 domain/types that consent receipts are signed with (verify offline)",
    tag: "public",
    access: { kind: "public" },
    response: {
      status: 200,
      schema: z.object({
        address: z.string(),
        domain: z.unknown(),
        primaryType: z.string(),
        types: z.unknown(),
        format: z.string(),
      }),
      description: "Published receipt key",
    },
    async handler({ common }) {
      return { body: publishedSigner(common) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/buyers/me/revocations",
    summary: "Revocation notices for the caller's licenses after `since` (a seq), oldest first",
    tag: "buyers",
    access: BUYER,
    query: z.strictObject({
      since: z
        .string()
        .regex(/^(0|[1-9][0-9]{0,18})$/, "expected a seq")
        .default("0"),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    }),
    response: {
      status: 200,
      schema: z.object({ notices: z.array(z.record(z.string(), z.unknown())), next: z.string() }),
      description: "Notices; pass `next` as `since` to continue",
    },
    async handler({ services, actor, query }) {
      return { body: await revocationFeed(services.deps, addressOf(actor), BigInt(query.since), query.limit) };
    },
  }),
  defineRoute({
    method: "post",
    path: "/v1/webhooks",
    summary: "Register an HTTPS callback for event types; the signing secret (Standard Webhooks) is returned once",
    tag: "webhooks",
    access: PARTY,
    body: z.strictObject({
      url: z.url().max(2000),
      role: z.enum(["creator", "buyer"]),
      events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length),
    }),
    errors: {
      422: "The URL is not an acceptable HTTPS callback or an event type is unknown",
    },
    response: { status: 201, schema: Webhook.extend({ secret: z.string() }), description: "Endpoint and secret" },
    async handler({ services, actor, body }) {
      return { status: 201, body: await registerWebhook(services.deps, addressOf(actor), rolesOf(actor), body) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/webhooks",
    summary: "The caller's webhook endpoints",
    tag: "webhooks",
    access: PARTY,
    response: { status: 200, schema: z.array(Webhook), description: "Endpoints" },
    async handler({ services, actor }) {
      return { body: await listWebhooks(services.deps, addressOf(actor)) };
    },
  }),
  defineRoute({
    method: "delete",
    path: "/v1/webhooks/:endpointId",
    summary: "Disable one of the caller's webhook endpoints (its pending deliveries are dropped)",
    tag: "webhooks",
    access: PARTY,
    params: z.strictObject({ endpointId: Uuid }),
    errors: {
      404: "No such webhook endpoint of the caller's",
    },
    response: { status: 200, schema: Webhook, description: "Disabled" },
    async handler({ services, actor, params }) {
      return { body: await disableWebhook(services.deps, addressOf(actor), params.endpointId) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/webhooks/:endpointId/deliveries",
    summary: "Deliveries of one of the caller's endpoints, newest first, with their status",
    tag: "webhooks",
    access: PARTY,
    params: z.strictObject({ endpointId: Uuid }),
    query: z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
    errors: {
      404: "No such webhook endpoint of the caller's",
    },
    response: { status: 200, schema: z.array(z.record(z.string(), z.unknown())), description: "Deliveries" },
    async handler({ services, actor, params, query }) {
      return { body: await listDeliveries(services.deps, addressOf(actor), params.endpointId, query.limit) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/offers/:offerId/terms",
    summary: "The offer's canonical terms document (RFC 8785 JSON); keccak-256 of these bytes is its termsHash",
    tag: "terms",
    access: { kind: "session" },
    params: z.strictObject({ offerId: Uuid }),
    errors: { 404: "No such offer" },
    response: {
      status: 200,
      contentType: "application/json",
      schema: z.record(z.string(), z.unknown()),
      description: "Canonical terms bytes (RFC 8785 JSON)",
    },
    async handler({ services, params }) {
      const t = await exportTerms(services.deps, params.offerId);
      return { body: t.canonical, contentType: "application/json" };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/offers/:offerId/rsl",
    summary: "The offer as RSL-style XML (permits ai-train / ai-input, payment type, Tributary extension)",
    tag: "terms",
    access: { kind: "session" },
    params: z.strictObject({ offerId: Uuid }),
    errors: { 404: "No such offer" },
    response: { status: 200, contentType: "application/rsl+xml", description: "RSL XML" },
    async handler({ services, params, req }) {
      const base = `${req.protocol}://${req.get("host") ?? "localhost"}`;
      return { body: await offerRsl(services.deps, params.offerId, base), contentType: "application/rsl+xml" };
    },
  }),
  defineRoute({
    method: "post",
    path: "/v1/terms/rsl/import",
    summary: "Map an RSL document to an offer draft (POST it to /v1/offers); lists what did not map. Stores nothing",
    tag: "terms",
    access: CREATOR,
    body: z.strictObject({ xml: z.string().min(1).max(200_000) }),
    errors: {
      422: "The document is not RSL this service can map",
    },
    response: {
      status: 200,
      schema: z.object({ offer: z.record(z.string(), z.unknown()), unmapped: z.array(z.string()) }),
      description: "Offer draft",
    },
    async handler({ body }) {
      return { body: importRsl(body.xml) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/datasets/:datasetId/tdm-assertion",
    summary: "C2PA/CAWG training-and-data-mining assertion (cawg.training-mining) for a dataset",
    tag: "terms",
    access: { kind: "session" },
    params: DatasetParams,
    errors: { 404: "No such dataset" },
    response: { status: 200, schema: z.record(z.string(), z.unknown()), description: "Assertion" },
    async handler({ services, params }) {
      return { body: await tdmAssertion(services.deps, params.datasetId) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/datasets/:datasetId/datasheet",
    summary: "Data sheet: provenance, consent basis and counts per scope, licenses by model (owner or licensee)",
    tag: "exports",
    access: PARTY,
    params: DatasetParams,
    errors: {
      404: "No such dataset",
    },
    response: { status: 200, schema: z.record(z.string(), z.unknown()), description: "Data sheet" },
    async handler({ services, actor, params }) {
      if (actor.kind !== "session") throw unauthorized();
      return { body: await dataSheet(services.deps, actor.address, params.datasetId) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/licenses/:licenseId/training-summary",
    summary: "Training-content summary of the caller's license under the EU AI Act Art. 53(1)(d) template headings",
    tag: "exports",
    access: BUYER,
    params: z.strictObject({ licenseId: Bytes32 }),
    errors: {
      404: "No such license of the caller's",
    },
    response: { status: 200, schema: z.record(z.string(), z.unknown()), description: "Summary (JSON)" },
    async handler({ services, actor, params }) {
      return { body: await trainingSummary(services.deps, addressOf(actor), params.licenseId) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/licenses/:licenseId/training-summary/html",
    summary: "The same training-content summary as a readable HTML page",
    tag: "exports",
    access: BUYER,
    params: z.strictObject({ licenseId: Bytes32 }),
    errors: {
      404: "No such license of the caller's",
    },
    response: { status: 200, contentType: "text/html", description: "Summary (HTML)" },
    async handler({ services, actor, params }) {
      const s = await trainingSummary(services.deps, addressOf(actor), params.licenseId);
      return { body: summaryHtml(s), contentType: "text/html" };
    },
  }),
];
