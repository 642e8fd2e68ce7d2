/**
 * The consent basis of a dataset for a scope: either the creator's signed rights attestation, or consent receipts
 * (at least one unrevoked receipt for that scope). An offer is published, and a license taken, only when every
 * dataset has one; usage is accepted only for items the basis covers at the time of use. A withdrawn attestation
 * covers [issuedAt, withdrawnAt) only and is no basis for a new offer or license.
 */
import type { Hex } from "viem";
import { verifyTypedData } from "viem";
import type { Prisma } from "../../db/generated/client";
import type { PrismaClient } from "../../db/client";
import { conflict, notFound, unprocessable, type FieldError } from "../errors";
import { audit } from "./audit";
import { notifyWithdrawal } from "./revocations";
import { attestationTypedData, ATTESTATION_STATEMENT } from "./attestation-typed-data";
import { ownedDataset } from "./creators";
import type { Deps } from "./deps";

type Db = PrismaClient | Prisma.TransactionClient;
export type Scope = "training" | "inference";

/** What a license records per dataset: the basis it was taken under. Counts only; never a subject. */
export type ConsentBasis =
  | { datasetId: string; kind: "attestation"; attestationId: string; signer: string; issuedAt: string }
  | { datasetId: string; kind: "receipts"; activeReceipts: number; wholeDataset: boolean };

export async function recordAttestation(
  deps: Deps,
  ownerAddress: string,
  datasetId: string,
  input: { scope: Scope; issuedAt: string; signature: Hex },
) {
  await ownedDataset(deps, ownerAddress, datasetId);
  const issuedAt = new Date(input.issuedAt);
  if (issuedAt.getTime() % 1000 !== 0 || issuedAt.getTime() > Date.now() + 5 * 60_000)
    throw unprocessable("issuedAt must be whole seconds and not in the future", [
      { path: "/issuedAt", message: "whole seconds, not in the future" },
    ]);
  const typed = attestationTypedData(deps.common.config.chainId, {
    datasetId: datasetId as Hex,
    scope: input.scope,
    issuedAt,
  });
  const valid = await verifyTypedData({ ...typed, address: ownerAddress as Hex, signature: input.signature }).catch(
    () => false,
  );
  if (!valid)
    throw unprocessable("the signature is not the dataset owner's over the attestation", [
      { path: "/signature", message: "does not recover to the owner's address" },
    ]);
  const row = await deps.prisma.rightsAttestation.create({
    data: {
      datasetId,
      scope: input.scope,
      signer: ownerAddress,
      statement: ATTESTATION_STATEMENT,
      issuedAt,
      signature: input.signature,
    },
  });
  return attestationView(row);
}

export function attestationView(r: {
  id: string;
  datasetId: string;
  scope: string;
  signer: string;
  statement: string;
  issuedAt: Date;
  signature: string;
  withdrawnAt: Date | null;
}) {
  return {
    id: r.id,
    datasetId: r.datasetId,
    scope: r.scope,
    signer: r.signer,
    statement: r.statement,
    issuedAt: r.issuedAt.toISOString(),
    signature: r.signature,
    withdrawnAt: r.withdrawnAt?.toISOString() ?? null,
  };
}

/** The current basis of each dataset for `scope` (null when it has none). */
export async function consentBases(db: Db, datasetIds: string[], scope: Scope): Promise<Map<string, ConsentBasis>> {
  const [attestations, receipts] = await Promise.all([
    db.rightsAttestation.findMany({
      where: { datasetId: { in: datasetIds }, scope, withdrawnAt: null },
      orderBy: { issuedAt: "asc" },
    }),
    db.consentRecord.groupBy({
      by: ["datasetId", "itemRef"],
      where: { datasetId: { in: datasetIds }, scope, revokedAt: null },
      _count: { _all: true },
    }),
  ]);
  const out = new Map<string, ConsentBasis>();
  for (const r of receipts) {
    const prev = out.get(r.datasetId);
    const n = r._count._all;
    const whole = r.itemRef === null;
    out.set(
      r.datasetId,
      prev?.kind === "receipts"
        ? { ...prev, activeReceipts: prev.activeReceipts + n, wholeDataset: prev.wholeDataset || whole }
        : { datasetId: r.datasetId, kind: "receipts", activeReceipts: n, wholeDataset: whole },
    );
  }
  // An attestation covers every item, so it is the basis whenever there is one.
  for (const a of attestations) {
    if (out.get(a.datasetId)?.kind === "attestation") continue;
    out.set(a.datasetId, {
      datasetId: a.datasetId,
      kind: "attestation",
      attestationId: a.id,
      signer: a.signer,
      issuedAt: a.issuedAt.toISOString(),
    });
  }
  return out;
}

/** Throws a 422 naming every dataset without a basis for `scope`; returns the bases in the given order. */
export async function requireConsentBasis(db: Db, datasetIds: string[], scope: Scope): Promise<ConsentBasis[]> {
  const bases = await consentBases(db, datasetIds, scope);
  const missing: FieldError[] = datasetIds.flatMap((id, i) =>
    bases.has(id)
      ? []
      : [
          {
            path: `/datasets/${i}/datasetId`,
            code: "no-consent-basis",
            message: `no consent receipt or signed rights attestation for ${scope}`,
          },
        ],
  );
  if (missing.length)
    throw unprocessable("every dataset needs a documented consent basis for the offer's scope", missing);
  return datasetIds.map((id) => bases.get(id) as ConsentBasis);
}

/** Coverage of the items in one usage batch: answers "was (dataset, scope, item) covered at time t?". */
export async function usageCoverage(db: Db, datasetIds: string[], itemRefs: string[]) {
  const [attestations, receipts] = await Promise.all([
    db.rightsAttestation.findMany({
      where: { datasetId: { in: datasetIds } },
      select: { datasetId: true, scope: true, issuedAt: true, withdrawnAt: true },
    }),
    db.consentRecord.findMany({
      where: { datasetId: { in: datasetIds }, OR: [{ itemRef: null }, { itemRef: { in: itemRefs } }] },
      select: { datasetId: true, scope: true, itemRef: true, grantedAt: true, revokedAt: true },
    }),
  ]);
  // Each attestation covers [issuedAt, withdrawnAt): usage after a withdrawal needs a receipt.
  const attested = new Map<string, [number, number][]>();
  for (const a of attestations) {
    const k = `${a.datasetId}|${a.scope}`;
    attested.set(k, [...(attested.get(k) ?? []), [a.issuedAt.getTime(), a.withdrawnAt?.getTime() ?? Infinity]]);
  }
  const windows = new Map<string, [number, number][]>();
  const revoked = new Map<string, number>();
  for (const r of receipts) {
    const k = `${r.datasetId}|${r.scope}|${r.itemRef ?? ""}`;
    const end = r.revokedAt?.getTime() ?? Infinity;
    windows.set(k, [...(windows.get(k) ?? []), [r.grantedAt.getTime(), end]]);
    if (r.revokedAt) revoked.set(k, Math.min(end, revoked.get(k) ?? end));
  }
  const inWindow = (k: string, t: number) => (windows.get(k) ?? []).some(([a, b]) => a <= t && t < b);
  return {
    /** A revocation of this item's (or the whole dataset's) consent at or before t. */
    revokedBy(datasetId: string, scope: string, itemRef: string, t: number): boolean {
      const at = Math.min(
        revoked.get(`${datasetId}|${scope}|`) ?? Infinity,
        revoked.get(`${datasetId}|${scope}|${itemRef}`) ?? Infinity,
      );
      return at <= t;
    },
    covered(datasetId: string, scope: string, itemRef: string, t: number): boolean {
      if ((attested.get(`${datasetId}|${scope}`) ?? []).some(([a, b]) => a <= t && t < b)) return true;
      return inWindow(`${datasetId}|${scope}|`, t) || inWindow(`${datasetId}|${scope}|${itemRef}`, t);
    },
  };
}

/** Consent coverage of one of the caller's datasets, per scope: counts and the attestation, never subjects. */
export async function consentCoverage(deps: Deps, ownerAddress: string, datasetId: string) {
  await ownedDataset(deps, ownerAddress, datasetId);
  return coverageOf(deps.prisma, datasetId);
}

export async function coverageOf(db: Db, datasetId: string) {
  const [rows, attestations] = await Promise.all([
    db.consentRecord.findMany({ where: { datasetId }, select: { scope: true, itemRef: true, revokedAt: true } }),
    db.rightsAttestation.findMany({ where: { datasetId }, orderBy: { issuedAt: "asc" } }),
  ]);
  return (["training", "inference"] as const).map((scope) => {
    const mine = rows.filter((r) => r.scope === scope);
    const active = mine.filter((r) => !r.revokedAt);
    const att = attestations.find((a) => a.scope === scope && !a.withdrawnAt);
    return {
      scope,
      basis: att ? "attestation" : active.length ? "receipts" : "none",
      attestation: att ? attestationView(att) : null,
      receipts: { active: active.length, revoked: mine.length - active.length },
      itemsCovered: new Set(active.filter((r) => r.itemRef).map((r) => r.itemRef)).size,
      wholeDatasetReceipt: active.some((r) => r.itemRef === null),
    };
  });
}

/**
 * Withdraws one of the caller's rights attestations now. From then on it is no basis: new offers and licenses on
 * the dataset for that scope need another one, and usage at or after `withdrawnAt` of items no receipt covers is
 * refused. Every active license on the dataset and scope gets a notice, as for a revocation of the whole dataset,
 * in the same transaction; money follows the offer's revocation clause (terms.ts).
 */
export async function withdrawAttestation(deps: Deps, ownerAddress: string, attestationId: string) {
  const row = await deps.prisma.rightsAttestation.findUnique({
    where: { id: attestationId },
    include: { dataset: { include: { owner: true } } },
  });
  if (!row || row.dataset.owner.address !== ownerAddress) throw notFound(`attestation ${attestationId}`);
  if (row.withdrawnAt)
    throw conflict(`attestation ${attestationId} was already withdrawn at ${row.withdrawnAt.toISOString()}`);
  const at = new Date(Math.floor(Date.now() / 1000) * 1000);
  return deps.prisma.$transaction(async (tx) => {
    // The guard on withdrawnAt makes two concurrent withdrawals a single one.
    const n = await tx.rightsAttestation.updateMany({
      where: { id: attestationId, withdrawnAt: null },
      data: { withdrawnAt: at },
    });
    if (n.count !== 1) throw conflict(`attestation ${attestationId} was already withdrawn`);
    const updated = await tx.rightsAttestation.findUniqueOrThrow({ where: { id: attestationId } });
    const notified = await notifyWithdrawal(tx, updated);
    await audit(tx, {
      actor: ownerAddress,
      action: "attestation.withdrawn",
      target: `attestation:${attestationId}`,
      details: { datasetId: updated.datasetId, scope: updated.scope, at: at.toISOString() },
    });
    return { ...attestationView(updated), notifiedLicenses: notified };
  });
}
