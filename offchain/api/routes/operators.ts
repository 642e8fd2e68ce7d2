import { addressOf } from "../auth/actor";
import { closeEpoch } from "../../epochs";
import { auditExport } from "../../epochs/audit-export";
import { audit } from "../../db/audit-log";
import { conflict } from "../errors";
import { listAudit } from "../services/audit";
import { grantRole, listRoles, revokeRole } from "../services/roles";
import { defineRoute } from "../route";
import { Address, EpochNumber, IsoDate, Role, z } from "../schemas";
import { proofEpochsChanged } from "../../epochs";

const OPERATOR = { kind: "session", roles: ["operator"] } as const;
const Assignment = z.object({ address: z.string(), role: Role });

export const operatorRoutes = [
  defineRoute({
    method: "post",
    path: "/v1/operator/epochs",
    summary: "Close the next epoch at endsAt (default now): settle, build the distribution, store it (status computed)",
    tag: "operators",
    access: OPERATOR,
    body: z.strictObject({ endsAt: IsoDate.optional() }),
    errors: {
      409: "The epoch would be empty or end at or before its start",
      422: "endsAt is in the future, or the settlement engine refused the epoch's data",
      503: "A temporary failure (e.g. the database); retry",
    },
    response: {
      status: 201,
      schema: z.object({
        epoch: z.number(),
        root: z.string(),
        contentHash: z.string(),
        leafCount: z.number(),
        totals: z.unknown(),
      }),
      description: "Epoch computed and ready to publish",
    },
    async handler({ services, actor, body }) {
      const r = await closeEpoch(services.deps, addressOf(actor), body);
      // For the operator who asked for this close, an epoch without leaves is a refusal of the request.
      if (r.status === "empty") throw conflict(r.reason);
      proofEpochsChanged(services.deps.prisma); // a new computed epoch: proofs show it from the next request
      const totals = r.result.totals.map((t) => ({
        token: t.token,
        amount: t.amount.toString(),
        cumulative: t.cumulative.toString(),
      }));
      return {
        status: 201,
        body: { epoch: r.epoch, root: r.root, contentHash: r.contentHash, leafCount: r.leafCount, totals },
      };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/operator/epochs/:epoch/audit-export",
    summary:
      "An epoch's full settlement input and usage records with its secret (pseudonymous), for tributary audit recompute",
    tag: "auditors",
    access: { kind: "session", roles: ["operator", "auditor"] },
    params: z.strictObject({ epoch: EpochNumber }),
    errors: { 404: "No such epoch" },
    response: {
      status: 200,
      schema: z
        .object({
          format: z.literal("tributary-audit-export"),
          version: z.literal(1),
          chainId: z.number(),
          contract: z.string(),
          epoch: z.number(),
          baseEpoch: z.number(),
          published: z.object({ root: z.string(), contentHash: z.string(), usageRoot: z.string().nullable() }),
          input: z.unknown().openapi({ description: "The settlement engine's input (offchain/settlement)" }),
          usage: z
            .object({
              secret: z.string(),
              records: z.array(z.record(z.string(), z.string())),
              salts: z.array(z.string().nullable()),
            })
            .nullable()
            .openapi({
              description:
                "The usage commitment's records, each event's stored salt (null for an aggregate) and the epoch " +
                "secret the aggregates and the padding are derived from",
            }),
        })
        .openapi("AuditExport"),
      description: "The export; its retrieval is recorded in the audit log",
    },
    async handler({ services, actor, params }) {
      const body = await auditExport(services.deps, params.epoch);
      await audit(services.deps.prisma, {
        actor: addressOf(actor),
        action: "epoch.audit-exported",
        target: `epoch:${params.epoch}`,
        details: {},
      });
      return { body };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/operator/roles",
    summary: "Every role assignment",
    tag: "operators",
    access: OPERATOR,
    response: {
      status: 200,
      schema: z.array(Assignment.extend({ grantedBy: z.string(), createdAt: IsoDate })),
      description: "Roles",
    },
    async handler({ services }) {
      return { body: await listRoles(services.deps) };
    },
  }),
  defineRoute({
    method: "post",
    path: "/v1/operator/roles",
    summary: "Grant a role to an address",
    tag: "operators",
    access: OPERATOR,
    body: z.strictObject({ address: Address, role: Role }),
    errors: { 409: "The address already has the role" },
    response: { status: 201, schema: Assignment, description: "Granted" },
    async handler({ services, actor, body }) {
      return { status: 201, body: await grantRole(services.deps, addressOf(actor), body.address, body.role) };
    },
  }),
  defineRoute({
    method: "delete",
    path: "/v1/operator/roles/:address/:role",
    summary: "Revoke a role (the last operator cannot be removed)",
    tag: "operators",
    access: OPERATOR,
    params: z.strictObject({ address: Address, role: Role }),
    errors: { 404: "The address does not have the role", 409: "It is the last operator" },
    response: { status: 200, schema: Assignment, description: "Revoked" },
    async handler({ services, actor, params }) {
      return { body: await revokeRole(services.deps, addressOf(actor), params.address, params.role) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/audit-log",
    summary: "The append-only log of privileged actions (operators and auditors)",
    tag: "auditors",
    access: { kind: "session", roles: ["operator", "auditor"] },
    query: z.strictObject({
      after: z
        .string()
        .regex(/^[0-9]{1,19}$/, "expected an id")
        .optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    }),
    response: {
      status: 200,
      schema: z.array(
        z.object({
          id: z.string(),
          at: IsoDate,
          actor: z.string(),
          action: z.string(),
          target: z.string(),
          details: z.unknown(),
        }),
      ),
      description: "Entries in order",
    },
    async handler({ services, query }) {
      return {
        body: await listAudit(services.deps, {
          after: query.after !== undefined ? BigInt(query.after) : undefined,
          limit: query.limit,
        }),
      };
    },
  }),
];
