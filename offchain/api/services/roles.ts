/** Roles per address. Operators grant and revoke; the first operator comes from BOOTSTRAP_OPERATOR. */
import type { RoleName } from "../route";
import { conflict, notFound } from "../errors";
import { audit } from "./audit";
import type { Deps } from "./deps";

export async function bootstrapOperator({ prisma, common }: Deps): Promise<void> {
  const address = common.config.bootstrapOperator;
  if (!address) return;
  const existing = await prisma.roleAssignment.findUnique({ where: { address_role: { address, role: "operator" } } });
  if (existing) return;
  await prisma.$transaction(async (tx) => {
    await tx.roleAssignment.create({ data: { address, role: "operator", grantedBy: "bootstrap" } });
    await audit(tx, { actor: "bootstrap", action: "role.granted", target: address, details: { role: "operator" } });
  });
}

export async function listRoles({ prisma }: Deps) {
  const rows = await prisma.roleAssignment.findMany({ orderBy: [{ address: "asc" }, { role: "asc" }] });
  return rows.map((r) => ({
    address: r.address,
    role: r.role,
    grantedBy: r.grantedBy,
    createdAt: r.createdAt.toISOString(),
  }));
}

export async function grantRole({ prisma }: Deps, actor: string, address: string, role: RoleName) {
  return prisma.$transaction(async (tx) => {
    const existing = await tx.roleAssignment.findUnique({ where: { address_role: { address, role } } });
    if (existing) throw conflict(`${address} already has role ${role}`);
    await tx.roleAssignment.create({ data: { address, role, grantedBy: actor } });
    await audit(tx, { actor, action: "role.granted", target: address, details: { role } });
    return { address, role };
  });
}

export async function revokeRole({ prisma }: Deps, actor: string, address: string, role: RoleName) {
  return prisma.$transaction(async (tx) => {
    const removed = await tx.roleAssignment.deleteMany({ where: { address, role } });
    if (removed.count === 0) throw notFound(`role ${role} of ${address}`);
    if (role === "operator" && (await tx.roleAssignment.count({ where: { role: "operator" } })) === 0) {
      throw conflict("cannot revoke the last operator");
    }
    await audit(tx, { actor, action: "role.revoked", target: address, details: { role } });
    return { address, role };
  });
}

/** Self-service registration grants the creator or buyer role to the signed-in address (idempotent). */
export async function ensureRole(tx: Pick<Deps["prisma"], "roleAssignment">, address: string, role: RoleName) {
  await tx.roleAssignment.upsert({
    where: { address_role: { address, role } },
    create: { address, role, grantedBy: "self-registration" },
    update: {},
  });
}
