/**
 * Consent receipts. The subject reference is hashed with a fresh random salt (sha-256(salt ‖ subject)) and
 * never stored; the receipt hash commits to every field, so the creator can later prove what was recorded.
 */
import crypto from "node:crypto";
import { conflict, notFound, unprocessable } from "../errors";
import type { Deps } from "./deps";
import { ownedDataset } from "./creators";
import { signReceipt } from "./receipts";
import { notifyRevocation } from "./revocations";

const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

type ConsentRow = {
  id: string;
  datasetId: string;
  itemRef: string | null;
  subjectHash: string;
  salt: string;
  scope: string;
  evidenceHash: string;
  grantedAt: Date;
  revokedAt: Date | null;
  receiptHash: string;
};

export function receiptView(r: ConsentRow) {
  return {
    id: r.id,
    datasetId: r.datasetId,
    itemRef: r.itemRef,
    subjectHash: r.subjectHash,
    salt: r.salt,
    scope: r.scope,
    evidenceHash: r.evidenceHash,
    grantedAt: r.grantedAt.toISOString(),
    revokedAt: r.revokedAt?.toISOString() ?? null,
    receiptHash: r.receiptHash,
  };
}

export async function recordConsent(
  deps: Deps,
  ownerAddress: string,
  datasetId: string,
  input: {
    subject: string;
    scope: "training" | "inference";
    evidenceHash: string;
    itemRef?: string;
    grantedAt?: string;
  },
) {
  await ownedDataset(deps, ownerAddress, datasetId);
  const salt = crypto.randomBytes(16).toString("hex");
  const subjectHash = sha256(salt + input.subject);
  const grantedAt = input.grantedAt ? new Date(input.grantedAt) : new Date();
  const receiptHash = sha256(
    JSON.stringify([
      datasetId,
      input.itemRef ?? null,
      subjectHash,
      input.scope,
      input.evidenceHash,
      grantedAt.toISOString(),
    ]),
  );
  const row = await deps.prisma.consentRecord.create({
    data: {
      datasetId,
      itemRef: input.itemRef ?? null,
      subjectHash,
      salt,
      scope: input.scope,
      evidenceHash: input.evidenceHash,
      grantedAt,
      receiptHash,
    },
  });
  return { ...receiptView(row), signedReceipt: await signReceipt(deps.common, row, "grant") };
}

export async function listConsents(deps: Deps, ownerAddress: string, datasetId: string) {
  await ownedDataset(deps, ownerAddress, datasetId);
  const rows = await deps.prisma.consentRecord.findMany({ where: { datasetId }, orderBy: { grantedAt: "asc" } });
  return rows.map(receiptView);
}

export async function revokeConsent(deps: Deps, ownerAddress: string, consentId: string, revokedAt?: string) {
  const row = await deps.prisma.consentRecord.findUnique({
    where: { id: consentId },
    include: { dataset: { include: { owner: true } } },
  });
  if (!row || row.dataset.owner.address !== ownerAddress) throw notFound(`consent ${consentId}`);
  if (row.revokedAt) throw conflict(`consent ${consentId} was already revoked at ${row.revokedAt.toISOString()}`);
  const at = revokedAt ? new Date(revokedAt) : new Date();
  if (at < row.grantedAt)
    throw unprocessable("revocation precedes the grant", [{ path: "/revokedAt", message: "before grantedAt" }]);
  // The revocation, its notices and its webhook deliveries commit together: an acknowledged revocation always
  // reaches the affected buyers. The guard on revokedAt makes two concurrent revocations a single one.
  const { updated, notices } = await deps.prisma.$transaction(async (tx) => {
    const n = await tx.consentRecord.updateMany({ where: { id: consentId, revokedAt: null }, data: { revokedAt: at } });
    if (n.count !== 1) throw conflict(`consent ${consentId} was already revoked`);
    const updated = await tx.consentRecord.findUniqueOrThrow({ where: { id: consentId } });
    return { updated, notices: await notifyRevocation(tx, updated) };
  });
  return {
    ...receiptView(updated),
    notifiedLicenses: notices,
    signedReceipt: await signReceipt(deps.common, updated, "revocation"),
  };
}
