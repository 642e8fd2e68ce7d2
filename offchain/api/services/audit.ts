/** The append-only audit log of privileged actions (operator actions). Details hold no private fields. */
import type { Prisma } from "../../db/generated/client";
import type { Deps } from "./deps";

type Tx = Pick<Deps["prisma"], "auditLog">;

export async function audit(
  tx: Tx,
  entry: { actor: string; action: string; target: string; details?: Prisma.InputJsonValue },
): Promise<void> {
  await tx.auditLog.create({
    data: { actor: entry.actor, action: entry.action, target: entry.target, details: entry.details ?? {} },
  });
}

export async function listAudit({ prisma }: Deps, q: { after?: bigint; limit: number }) {
  const rows = await prisma.auditLog.findMany({
    where: q.after !== undefined ? { id: { gt: q.after } } : {},
    orderBy: { id: "asc" },
    take: q.limit,
  });
  return rows.map((r) => ({
    id: r.id.toString(),
    at: r.at.toISOString(),
    actor: r.actor,
    action: r.action,
    target: r.target,
    details: r.details,
  }));
}
