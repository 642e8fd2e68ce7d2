import { addressOf } from "../auth/actor";
import {
  approveShareChange,
  createDataset,
  getDataset,
  listDatasets,
  pendingShareChanges,
  registerCreator,
  setShares,
} from "../services/creators";
import { listConsents, recordConsent, revokeConsent } from "../services/consent";
import { earningsOf, proofsFor } from "../services/epochs";
import { defineRoute } from "../route";
import { Address, Bytes32, EpochNumber, IsoDate, Metadata, Scope, Text, Uuid, z } from "../schemas";
import { ProofsResponse } from "./public";
import { creatorUsageReceipts } from "../services/usage-receipts";
import { UsageReceipt } from "./buyers";

const CREATOR = { kind: "session", roles: ["creator"] } as const;
/** A page of datasets: with metadata bounded to 16 KB each, a page stays under ~2 MB. */
const MAX_DATASET_PAGE = 100;
const Shares = z
  .array(z.strictObject({ account: Address, bps: z.number().int().min(1).max(10_000) }))
  .min(1)
  .max(1000);
const ShareChange = z
  .object({
    id: z.string(),
    shares: Shares,
    requestedAt: IsoDate,
    effectiveAt: IsoDate.openapi({
      description:
        "When the shares take effect: the requested time, or (while a removed or lowered contributor has not approved) " +
        "no sooner than SHARE_CHANGE_NOTICE_SECONDS after the request",
    }),
    awaitingApproval: z.array(z.string()).openapi({ description: "Removed or lowered contributors yet to approve" }),
    approvedBy: z.array(z.string()),
  })
  .openapi("ShareChange");
const Dataset = z
  .object({
    id: z.string(),
    name: z.string(),
    metadata: z.record(z.string(), z.unknown()),
    status: z.string(),
    createdAt: IsoDate,
    shares: Shares.openapi({ description: "The shares in force now" }),
    scheduledShares: z.array(ShareChange).openapi({ description: "Share changes taking effect later, soonest first" }),
  })
  .openapi("Dataset");
const ACCOUNTS_422 =
  "Shares list an account twice, do not sum to 10,000 bps, or name an account that can never be paid " +
  "(the zero address, the splitter, a token)";
const Receipt = z
  .object({
    id: z.string(),
    datasetId: z.string(),
    itemRef: z.string().nullable(),
    subjectHash: z.string(),
    salt: z.string(),
    scope: Scope,
    evidenceHash: z.string(),
    grantedAt: IsoDate,
    revokedAt: IsoDate.nullable(),
    receiptHash: z.string(),
  })
  .openapi("ConsentReceipt");
const DatasetParams = z.strictObject({ datasetId: Bytes32 });

export const creatorRoutes = [
  defineRoute({
    method: "post",
    path: "/v1/creators",
    summary: "Register the signed-in address as a creator (grants the creator role)",
    tag: "creators",
    access: { kind: "session" },
    body: z.strictObject({ name: Text(200) }),
    errors: { 409: "The address is already registered as a creator" },
    response: {
      status: 201,
      schema: z.object({ id: z.string(), address: z.string(), name: z.string(), createdAt: IsoDate }),
      description: "Registered",
    },
    async handler({ services, actor, body }) {
      return { status: 201, body: await registerCreator(services.deps, addressOf(actor), body.name) };
    },
  }),
  defineRoute({
    method: "post",
    path: "/v1/datasets",
    summary: "List a dataset with its contributor shares (bps summing to 10,000)",
    tag: "creators",
    access: CREATOR,
    body: z.strictObject({
      id: Bytes32.optional(),
      name: Text(200),
      metadata: Metadata.default({}),
      shares: Shares,
    }),
    errors: {
      403: "The caller is not registered as a creator",
      409: "A dataset with this id already exists",
      422: ACCOUNTS_422,
    },
    response: { status: 201, schema: Dataset, description: "Created" },
    async handler({ services, actor, body }) {
      return { status: 201, body: await createDataset(services.deps, addressOf(actor), body, services.tokens) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/datasets",
    summary: "The caller's datasets, oldest first, one page at a time",
    tag: "creators",
    access: CREATOR,
    query: z.strictObject({
      after: Bytes32.optional().openapi({
        description: "Cursor: the id of the last dataset of the previous page (omit for the first page)",
      }),
      limit: z.coerce.number().int().min(1).max(MAX_DATASET_PAGE).default(MAX_DATASET_PAGE),
    }),
    response: {
      status: 200,
      schema: z.array(Dataset),
      description: "Up to `limit` datasets after the cursor; fewer than `limit` means this is the last page",
    },
    async handler({ services, actor, query }) {
      return { body: await listDatasets(services.deps, addressOf(actor), query) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/datasets/:datasetId",
    summary: "One of the caller's datasets",
    tag: "creators",
    access: CREATOR,
    params: DatasetParams,
    errors: { 404: "No such dataset of the caller's" },
    response: { status: 200, schema: Dataset, description: "Dataset" },
    async handler({ services, actor, params }) {
      return { body: await getDataset(services.deps, addressOf(actor), params.datasetId) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/datasets/:datasetId/usage-receipts/:epoch",
    summary:
      "The usage billed on one of the caller's datasets in an epoch: per-license aggregates with receipts and terms",
    tag: "creators",
    access: CREATOR,
    params: z.strictObject({ datasetId: Bytes32, epoch: EpochNumber }),
    errors: {
      404: "No such dataset of the caller's, or no such epoch",
      409: "The epoch has no usage commitment (closed before epochs committed to their usage)",
    },
    response: {
      status: 200,
      schema: z.object({
        epoch: z.number(),
        contentHash: z.string(),
        datasetId: z.string(),
        account: z.string().openapi({ description: "The caller, whose share the share periods give" }),
        platformFeeBps: z.number().openapi({ description: "The treasury's fee on every pool, in basis points" }),
        sharePeriods: z
          .array(z.object({ from: z.string(), bps: z.number() }))
          .openapi({ description: "The caller's bps from each time on, the first at the epoch's start" }),
        otherLicenses: z.array(z.object({ licenseId: z.string(), model: z.string(), token: z.string() })).openapi({
          description:
            "Subscription and one-time licenses of the dataset that may have recognized revenue in the epoch: " +
            "not from usage, so not checkable from the aggregates",
        }),
        aggregates: z.array(
          z.object({
            receipt: UsageReceipt,
            terms: z.object({
              model: z.string().nullable(),
              token: z.string().nullable(),
              ratePerUnit: z.string().nullable(),
              revenueBps: z.number().nullable(),
              weightBps: z.number().nullable(),
            }),
          }),
        ),
      }),
      description: "One aggregate per license that billed usage on the dataset in the epoch",
    },
    async handler({ services, actor, params }) {
      return { body: await creatorUsageReceipts(services.deps, addressOf(actor), params.datasetId, params.epoch) };
    },
  }),
  defineRoute({
    method: "put",
    path: "/v1/datasets/:datasetId/shares",
    summary:
      "Schedule new contributor shares from effectiveAt (default now); removing or lowering another contributor " +
      "needs its approval or waits out the notice period",
    tag: "creators",
    access: CREATOR,
    params: DatasetParams,
    body: z.strictObject({
      shares: Shares,
      effectiveAt: IsoDate.optional().openapi({
        description:
          "When the new shares take effect (default now): at most SHARE_CHANGE_PAST_TOLERANCE_SECONDS in the past, " +
          "never inside a closed epoch. Revenue before it is split by the old shares, from it by the new",
      }),
    }),
    errors: {
      404: "No such dataset of the caller's",
      409: "The dataset already has a share change taking effect at that second",
      422: `${ACCOUNTS_422}; or effectiveAt lies in the past or in a closed epoch`,
    },
    response: { status: 200, schema: Dataset, description: "The dataset with its shares in force and scheduled" },
    async handler({ services, actor, params, body }) {
      return {
        body: await setShares(services.deps, addressOf(actor), params.datasetId, body.shares, {
          effectiveAt: body.effectiveAt,
          tokens: services.tokens,
        }),
      };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/share-changes/pending",
    summary: "Share changes that remove or lower the signed-in address and await its approval",
    tag: "creators",
    access: { kind: "session" },
    response: {
      status: 200,
      schema: z.array(ShareChange.extend({ datasetId: z.string() })),
      description: "Pending changes, soonest first",
    },
    async handler({ services, actor }) {
      return { body: await pendingShareChanges(services.deps, addressOf(actor)) };
    },
  }),
  defineRoute({
    method: "post",
    path: "/v1/share-changes/:changeId/approve",
    summary:
      "Approve (as the signed-in contributor) a share change that removes or lowers you; once every such contributor " +
      "approved, it takes effect at its requested time (or the end of the last closed epoch, if later)",
    tag: "creators",
    access: { kind: "session" },
    params: z.strictObject({ changeId: Uuid }),
    errors: {
      404: "No such share change awaiting the caller's approval",
      409: "The dataset already has another share change taking effect at the requested time",
    },
    response: { status: 200, schema: ShareChange, description: "The change after the approval" },
    async handler({ services, actor, params }) {
      return { body: await approveShareChange(services.deps, addressOf(actor), params.changeId) };
    },
  }),
  defineRoute({
    method: "post",
    path: "/v1/datasets/:datasetId/consents",
    summary: "Record consent; the subject is stored only as a salted hash. Returns the receipt",
    tag: "creators",
    access: CREATOR,
    params: DatasetParams,
    body: z.strictObject({
      subject: Text(500),
      scope: Scope,
      evidenceHash: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected a 32-byte 0x-hex hash"),
      itemRef: Text(200).optional(),
      grantedAt: IsoDate.optional(),
    }),
    errors: { 404: "No such dataset of the caller's" },
    response: { status: 201, schema: Receipt, description: "Consent receipt" },
    async handler({ services, actor, params, body }) {
      return { status: 201, body: await recordConsent(services.deps, addressOf(actor), params.datasetId, body) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/datasets/:datasetId/consents",
    summary: "Consent receipts of one of the caller's datasets",
    tag: "creators",
    access: CREATOR,
    params: DatasetParams,
    errors: { 404: "No such dataset of the caller's" },
    response: { status: 200, schema: z.array(Receipt), description: "Receipts" },
    async handler({ services, actor, params }) {
      return { body: await listConsents(services.deps, addressOf(actor), params.datasetId) };
    },
  }),
  defineRoute({
    method: "post",
    path: "/v1/consents/:consentId/revoke",
    summary: "Revoke a consent; usage at or after revokedAt is rejected from then on",
    tag: "creators",
    access: CREATOR,
    params: z.strictObject({ consentId: Uuid }),
    body: z.strictObject({ revokedAt: IsoDate.optional() }),
    errors: {
      404: "No such consent on the caller's datasets",
      409: "The consent is already revoked",
      422: "revokedAt precedes the grant",
    },
    response: { status: 200, schema: Receipt, description: "Updated receipt" },
    async handler({ services, actor, params, body }) {
      return { body: await revokeConsent(services.deps, addressOf(actor), params.consentId, body.revokedAt) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/creators/me/earnings",
    summary: "What the caller's address was allocated per epoch and token",
    tag: "creators",
    access: CREATOR,
    response: {
      status: 200,
      schema: z.array(z.object({ epoch: z.number(), token: z.string(), amount: z.string(), cumulative: z.string() })),
      description: "Earnings",
    },
    async handler({ services, actor }) {
      return { body: await earningsOf(services.deps, addressOf(actor)) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/creators/me/claimable",
    summary: "What the caller can claim now, per token, with proofs",
    tag: "creators",
    access: CREATOR,
    response: { status: 200, schema: ProofsResponse, description: "Claimable amounts and proofs" },
    async handler({ services, actor }) {
      return { body: await proofsFor(services.deps, services.distributions, addressOf(actor), services.proofState) };
    },
  }),
];
