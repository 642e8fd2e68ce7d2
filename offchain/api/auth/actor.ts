/** Who is calling: resolved once per request from a bearer session token or a buyer API key. */
import crypto from "node:crypto";
import type { Request } from "express";
import type { PrismaClient } from "../../db/client";
import { unauthorized } from "../errors";
import type { RoleName } from "../route";

export type Actor =
  | { kind: "anonymous" }
  | { kind: "session"; address: string; roles: RoleName[]; sessionId: string }
  | { kind: "apiKey"; buyerId: string; keyId: string };

/** Secrets (session tokens, API keys) are stored only as this digest; the 256-bit random value needs no salt. */
export function hashSecret(secret: string): string {
  return crypto.createHash("sha256").update(secret).digest("hex");
}

export function newSecret(prefix: string): string {
  return `${prefix}_${crypto.randomBytes(32).toString("base64url")}`;
}

/** A presented but invalid credential is a 401, never a silent fall back to anonymous. */
export async function resolveActor(req: Request, prisma: PrismaClient): Promise<Actor> {
  const header = req.get("authorization");
  if (header !== undefined) {
    const m = /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(header);
    if (!m) throw unauthorized("malformed Authorization header");
    const session = await prisma.session.findUnique({ where: { tokenHash: hashSecret(m[1]) } });
    if (!session || session.revokedAt || session.expiresAt <= new Date())
      throw unauthorized("session invalid or expired");
    const roles = await prisma.roleAssignment.findMany({ where: { address: session.address }, select: { role: true } });
    return { kind: "session", address: session.address, roles: roles.map((r) => r.role), sessionId: session.id };
  }
  const key = req.get("x-api-key");
  if (key !== undefined) {
    if (key.length > 200) throw unauthorized("invalid API key");
    const row = await prisma.apiKey.findUnique({ where: { keyHash: hashSecret(key) } });
    if (!row || row.revokedAt) throw unauthorized("invalid API key");
    return { kind: "apiKey", buyerId: row.buyerId, keyId: row.id };
  }
  return { kind: "anonymous" };
}

/** The signed-in address; routes with session access only run for session actors. */
export function addressOf(actor: Actor): string {
  if (actor.kind !== "session") throw unauthorized();
  return actor.address;
}

/** The buyer behind an API key; usage routes only run for API-key actors. */
export function buyerIdOf(actor: Actor): string {
  if (actor.kind !== "apiKey") throw unauthorized("an API key is required");
  return actor.buyerId;
}
