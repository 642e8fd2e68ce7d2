/**
 * Sign-In with Ethereum (EIP-4361) using viem's SIWE utilities. Nonces are single-use and expire; a verified
 * message opens a session whose bearer token is returned once and stored hashed.
 *
 * Signatures are checked by ECDSA recovery (externally owned accounts). viem's `verifySiweMessage` would also
 * accept smart-contract wallets (ERC-1271/6492) but needs an RPC client; wire it in when the service has one.
 */
import { recoverMessageAddress, type Hex } from "viem";
import { generateSiweNonce, parseSiweMessage, validateSiweMessage } from "viem/siwe";
import type { Common } from "../../common";
import { badRequest, unauthorized } from "../errors";
import type { PrismaClient } from "../../db/client";
import { hashSecret, newSecret } from "./actor";

export type SiweDeps = { prisma: PrismaClient; common: Common };

/**
 * How old a message's issuedAt may be, and how far ahead of our clock: a signed message is used within seconds
 * of being made, so a captured one stops working soon even if its nonce was never spent.
 */
export const ISSUED_AT_MAX_AGE_MS = 10 * 60_000;
export const ISSUED_AT_MAX_SKEW_MS = 60_000;

/** The message must name this service's origin as its `uri` (same host and port as the SIWE domain). */
function originProblem(uri: string | undefined, domain: string): string | undefined {
  if (!uri) return "message has no uri";
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return "message uri is not a URL";
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.host !== domain.toLowerCase())
    return `message uri is not this service's origin (${domain})`;
  return undefined;
}

function freshnessProblem(issuedAt: Date | undefined, now: Date): string | undefined {
  if (!issuedAt || Number.isNaN(issuedAt.getTime())) return "message has no valid issuedAt";
  if (issuedAt.getTime() > now.getTime() + ISSUED_AT_MAX_SKEW_MS) return "message issuedAt is in the future";
  if (now.getTime() - issuedAt.getTime() > ISSUED_AT_MAX_AGE_MS)
    return `message issuedAt is older than ${ISSUED_AT_MAX_AGE_MS / 60_000} minutes`;
  return undefined;
}

export async function issueNonce({ prisma, common }: SiweDeps): Promise<{ nonce: string; expiresAt: Date }> {
  const nonce = generateSiweNonce();
  const expiresAt = new Date(Date.now() + common.config.siwe.nonceTtlSeconds * 1000);
  await prisma.siweNonce.create({ data: { nonce, expiresAt } });
  return { nonce, expiresAt };
}

export async function signIn(
  { prisma, common }: SiweDeps,
  input: { message: string; signature: Hex },
): Promise<{ token: string; address: string; expiresAt: Date }> {
  const parsed = parseSiweMessage(input.message);
  if (!parsed.address || !parsed.nonce || !parsed.domain || parsed.chainId === undefined) {
    throw badRequest("not an EIP-4361 message", [
      { path: "/message", message: "missing address, nonce, domain or chain id" },
    ]);
  }
  const now = new Date();
  const valid = validateSiweMessage({ message: parsed, domain: common.config.siwe.domain, time: now });
  if (!valid || parsed.chainId !== common.config.chainId) {
    throw unauthorized("message is for another domain or chain, or outside its validity window");
  }
  const problem = originProblem(parsed.uri, common.config.siwe.domain) ?? freshnessProblem(parsed.issuedAt, now);
  if (problem) throw unauthorized(problem);
  let signer: string;
  try {
    signer = await recoverMessageAddress({ message: input.message, signature: input.signature });
  } catch {
    throw unauthorized("signature does not recover");
  }
  if (signer.toLowerCase() !== parsed.address.toLowerCase())
    throw unauthorized("signature is not from the message's address");
  // Consume the nonce atomically: of two concurrent sign-ins with one nonce, exactly one wins.
  const used = await prisma.siweNonce.updateMany({
    where: { nonce: parsed.nonce, usedAt: null, expiresAt: { gt: now } },
    data: { usedAt: now },
  });
  if (used.count !== 1) throw unauthorized("nonce unknown, expired or already used");
  const token = newSecret("trs");
  const address = parsed.address.toLowerCase();
  const expiresAt = new Date(now.getTime() + common.config.siwe.sessionTtlSeconds * 1000);
  await prisma.session.create({ data: { tokenHash: hashSecret(token), address, expiresAt } });
  return { token, address, expiresAt };
}

export async function signOut({ prisma }: SiweDeps, sessionId: string): Promise<void> {
  await prisma.session.update({ where: { id: sessionId }, data: { revokedAt: new Date() } });
}
