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
  let signer: string;
  try {
    signer = await recoverMessageAddress({ message: input.message, signature: input.signature });
  } catch (cause) {
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
