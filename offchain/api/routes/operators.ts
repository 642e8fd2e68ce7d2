import { addressOf } from "../auth/actor";
import { closeEpoch } from "../../epochs";
import { conflict } from "../errors";
import { listAudit } from "../services/audit";
import { grantRole, listRoles, revokeRole } from "../services/roles";
import { defineRoute } from "../route";
import { Address, IsoDate, Role, z } from "../schemas";

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
