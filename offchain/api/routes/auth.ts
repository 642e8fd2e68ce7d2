import { addressOf } from "../auth/actor";
import { issueNonce, signIn, signOut } from "../auth/siwe";
import { defineRoute } from "../route";
import { Empty, IsoDate, Role, Text, z } from "../schemas";

const Session = z.object({ token: z.string(), address: z.string(), expiresAt: IsoDate }).openapi("Session");

export const authRoutes = [
  defineRoute({
    method: "post",
    path: "/v1/auth/nonce",
    summary: "Get a single-use SIWE nonce",
    tag: "auth",
    access: { kind: "public" },
    body: Empty.optional(),
    response: {
      status: 201,
      schema: z.object({ nonce: z.string(), expiresAt: IsoDate }),
      description: "A fresh nonce",
    },
    async handler({ services }) {
      const n = await issueNonce(services.deps);
      return { status: 201, body: { nonce: n.nonce, expiresAt: n.expiresAt.toISOString() } };
    },
  }),
  defineRoute({
    method: "post",
    path: "/v1/auth/verify",
    summary: "Sign in with an EIP-4361 message and its signature; returns a bearer session token",
    tag: "auth",
    access: { kind: "public" },
    body: z.strictObject({
      message: Text(4000),
      signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, "expected a 65-byte 0x-hex signature"),
    }),
    errors: {
      401: "The message is for another domain, origin or chain, is stale or not yet valid, the signature is not from its address, or the nonce is unknown, expired or used",
    },
    response: { status: 201, schema: Session, description: "Session opened" },
    async handler({ services, body }) {
      const s = await signIn(services.deps, { message: body.message, signature: body.signature as `0x${string}` });
      return { status: 201, body: { token: s.token, address: s.address, expiresAt: s.expiresAt.toISOString() } };
    },
  }),
  defineRoute({
    method: "post",
    path: "/v1/auth/logout",
    summary: "End the current session",
    tag: "auth",
    access: { kind: "session" },
    body: Empty.optional(),
    response: { status: 204, description: "Session ended" },
    async handler({ services, actor }) {
      if (actor.kind === "session") await signOut(services.deps, actor.sessionId);
      return { status: 204, body: undefined };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/auth/me",
    summary: "The signed-in address and its roles",
    tag: "auth",
    access: { kind: "session" },
    response: { status: 200, schema: z.object({ address: z.string(), roles: z.array(Role) }), description: "Identity" },
    async handler({ actor }) {
      return { body: { address: addressOf(actor), roles: actor.kind === "session" ? actor.roles : [] } };
    },
  }),
];
