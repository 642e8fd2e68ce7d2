/** The append-only audit log of privileged actions: one writer, used by the API's services and the epochs stage. */
import type { PrismaClient } from "./client";
import type { Prisma } from "./generated/client";

type Tx = Pick<PrismaClient, "auditLog">;

export type AuditEntry = { actor: string; action: string; target: string; details?: Prisma.InputJsonValue };

/** Details hold no private fields: the log is readable by auditors. */
export async function audit(tx: Tx, entry: AuditEntry): Promise<void> {
  await tx.auditLog.create({
    data: { actor: entry.actor, action: entry.action, target: entry.target, details: entry.details ?? {} },
  });
}
