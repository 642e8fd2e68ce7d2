/** Buyers: registration and their machine API keys (shown once, stored as sha-256). */
import { conflict, forbidden, notFound } from "../errors";
import { hashSecret, newSecret } from "../auth/actor";
import type { Deps } from "./deps";
import { ensureRole } from "./roles";

export async function registerBuyer({ prisma }: Deps, address: string, name: string) {
  return prisma.$transaction(async (tx) => {
    if (await tx.buyer.findUnique({ where: { address } })) throw conflict(`buyer ${address} is already registered`);
    const b = await tx.buyer.create({ data: { address, name } });
    await ensureRole(tx, address, "buyer");
    return { id: b.id, address: b.address, name: b.name, createdAt: b.createdAt.toISOString() };
  });
}

export async function buyerByAddress({ prisma }: Deps, address: string) {
  const b = await prisma.buyer.findUnique({ where: { address } });
  if (!b) throw forbidden("register as a buyer first");
  return b;
}

export async function createApiKey(deps: Deps, address: string) {
  const buyer = await buyerByAddress(deps, address);
  const key = newSecret("trk");
  const row = await deps.prisma.apiKey.create({
    data: { buyerId: buyer.id, keyHash: hashSecret(key), prefix: key.slice(0, 8) },
  });
  return { id: row.id, key, prefix: row.prefix, createdAt: row.createdAt.toISOString() };
}

export async function listApiKeys(deps: Deps, address: string) {
  const buyer = await buyerByAddress(deps, address);
  const rows = await deps.prisma.apiKey.findMany({ where: { buyerId: buyer.id }, orderBy: { createdAt: "asc" } });
  return rows.map((r) => ({
    id: r.id,
    prefix: r.prefix,
    createdAt: r.createdAt.toISOString(),
    revokedAt: r.revokedAt?.toISOString() ?? null,
  }));
}

export async function revokeApiKey(deps: Deps, address: string, keyId: string) {
  const buyer = await buyerByAddress(deps, address);
  const row = await deps.prisma.apiKey.findUnique({ where: { id: keyId } });
  if (!row || row.buyerId !== buyer.id) throw notFound(`API key ${keyId}`);
  if (row.revokedAt) throw conflict(`API key ${keyId} is already revoked`);
  await deps.prisma.apiKey.update({ where: { id: keyId }, data: { revokedAt: new Date() } });
  return { id: keyId, revoked: true };
}
