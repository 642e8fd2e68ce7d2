/**
 * Signed consent receipts: an EIP-712 document signed with the service's receipt key, one for the grant and one
 * for a revocation. Anyone verifies it offline with the published signer address (GET /v1/receipts/signer) and
 * viem's verifyTypedData; the subject appears only as its salted commitment.
 */
import { getAddress, verifyTypedData, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import type { Common } from "../../common";
import { notFound } from "../errors";
import type { Deps } from "./deps";

export const RECEIPT_FORMAT = "tributary-consent-receipt/1";

export const receiptTypes = {
  ConsentReceipt: [
    { name: "receiptId", type: "string" },
    { name: "kind", type: "string" },
    { name: "dataset", type: "bytes32" },
    { name: "itemRef", type: "string" },
    { name: "scope", type: "string" },
    { name: "subjectCommitment", type: "bytes32" },
    { name: "evidenceHash", type: "bytes32" },
    { name: "grantedAt", type: "uint256" },
    { name: "revokedAt", type: "uint256" },
  ],
} as const;

export const receiptDomain = (chainId: number) => ({ name: "Tributary consent receipts", version: "1", chainId });

// One key per configuration: RECEIPT_SIGNER_KEY, or a fresh key for this process (logged once) when unset.
const signers = new WeakMap<Common["config"], PrivateKeyAccount>();
export function receiptSigner(common: Common): PrivateKeyAccount {
  let s = signers.get(common.config);
  if (!s) {
    s = privateKeyToAccount(common.config.receiptSignerKey ?? generatePrivateKey());
    if (!common.config.receiptSignerKey)
      common.logger.warn({ signer: s.address }, "RECEIPT_SIGNER_KEY unset: consent receipts signed with a process key");
    signers.set(common.config, s);
  }
  return s;
}

type ConsentRow = {
  id: string;
  datasetId: string;
  itemRef: string | null;
  subjectHash: string;
  scope: string;
  evidenceHash: string;
  grantedAt: Date;
  revokedAt: Date | null;
};

const seconds = (d: Date | null) => (d ? Math.floor(d.getTime() / 1000) : 0);

/** The receipt document: what was signed (numbers as decimal strings) and the signature. */
export type SignedReceipt = {
  format: typeof RECEIPT_FORMAT;
  signer: Hex;
  domain: ReturnType<typeof receiptDomain>;
  primaryType: "ConsentReceipt";
  message: {
    receiptId: string;
    kind: "grant" | "revocation";
    dataset: Hex;
    itemRef: string;
    scope: string;
    subjectCommitment: Hex;
    evidenceHash: Hex;
    grantedAt: string;
    revokedAt: string;
  };
  signature: Hex;
};

export async function signReceipt(common: Common, r: ConsentRow, kind: "grant" | "revocation"): Promise<SignedReceipt> {
  const signer = receiptSigner(common);
  const message = {
    receiptId: kind === "grant" ? r.id : `${r.id}/revocation`,
    kind,
    dataset: r.datasetId as Hex,
    itemRef: r.itemRef ?? "",
    scope: r.scope,
    subjectCommitment: `0x${r.subjectHash}` as Hex,
    evidenceHash: r.evidenceHash.toLowerCase() as Hex,
    grantedAt: String(seconds(r.grantedAt)),
    revokedAt: String(kind === "revocation" ? seconds(r.revokedAt) : 0),
  };
  const domain = receiptDomain(common.config.chainId);
  const signature = await signer.signTypedData({
    domain,
    types: receiptTypes,
    primaryType: "ConsentReceipt",
    message: { ...message, grantedAt: BigInt(message.grantedAt), revokedAt: BigInt(message.revokedAt) },
  });
  return { format: RECEIPT_FORMAT, signer: signer.address, domain, primaryType: "ConsentReceipt", message, signature };
}

/** Offline check against the published signer address; false for any changed field, signer or signature. */
export async function verifyReceipt(doc: SignedReceipt, publishedSigner: Hex): Promise<boolean> {
  try {
    if (getAddress(doc.signer) !== getAddress(publishedSigner)) return false;
    return await verifyTypedData({
      address: publishedSigner,
      domain: doc.domain,
      types: receiptTypes,
      primaryType: "ConsentReceipt",
      message: { ...doc.message, grantedAt: BigInt(doc.message.grantedAt), revokedAt: BigInt(doc.message.revokedAt) },
      signature: doc.signature,
    });
  } catch {
    return false;
  }
}

export function publishedSigner(common: Common) {
  return {
    address: receiptSigner(common).address,
    domain: receiptDomain(common.config.chainId),
    primaryType: "ConsentReceipt",
    types: receiptTypes,
    format: RECEIPT_FORMAT,
  };
}

/** A consent's receipts for its creator: the grant, and the revocation once there is one. */
export async function receiptsOf(deps: Deps, ownerAddress: string, consentId: string) {
  const row = await deps.prisma.consentRecord.findUnique({
    where: { id: consentId },
    include: { dataset: { include: { owner: true } } },
  });
  if (!row || row.dataset.owner.address !== ownerAddress) throw notFound(`consent ${consentId}`);
  return {
    grant: await signReceipt(deps.common, row, "grant"),
    revocation: row.revokedAt ? await signReceipt(deps.common, row, "revocation") : null,
  };
}
