/** The append-only audit log of privileged actions (operator actions). Details hold no private fields. */
import type { Deps } from "./deps";

export { audit } from "../../db/audit-log";

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
