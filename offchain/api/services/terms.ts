/**
 * Terms you can prove: each offer's terms as one canonical JSON document (RFC 8785, via `canonicalize`), whose
 * keccak-256 is stored with the offer and copied to every license taken on it. Anyone holding the document can
 * recompute the hash; the revocation clause states what a consent revocation does to money under each model.
 */
import canonicalize from "canonicalize";
import { keccak256, stringToBytes } from "viem";
import { TributaryError } from "../../common/errors";
import { notFound } from "../errors";
import type { Deps } from "./deps";

export const TERMS_FORMAT = "tributary-terms/1";

export const REVOCATION_CLAUSE: Record<string, string> = {
  one_time:
    "A revoked item must be excluded from further training or use from revokedAt; usage reports of it at or after " +
    "revokedAt are refused. The one-time fee is not reduced or refunded.",
  subscription:
    "A revoked item must be excluded from further training or use from revokedAt; usage reports of it at or after " +
    "revokedAt are refused. The subscription keeps its price: no pro-rata credit is given for a revoked item.",
  per_use: "Usage of a revoked item at or after revokedAt is refused and never billed; usage before it stays billed.",
  revenue_share:
    "Revenue reported for a revoked item at or after revokedAt is refused and never billed; revenue before it " +
    "stays billed.",
};

export type TermsSource = {
  id: string;
  creatorAddress: string;
  model: string;
  token: string;
  scope: string;
  price: string | null;
  periodSeconds: number | null;
  ratePerUnit: string | null;
  revenueBps: number | null;
  /** Base units; absent or "0": no credit. */
  creditLimit?: string;
  exclusive: boolean;
  durationSeconds: number;
  datasets: { datasetId: string; weightBps: number }[];
};

export function termsDocument(chainId: number, splitter: string, o: TermsSource) {
  return {
    format: TERMS_FORMAT,
    offerId: o.id,
    licensor: o.creatorAddress,
    settlement: { chainId, contract: splitter, token: o.token },
    model: o.model,
    scope: o.scope,
    price: o.price,
    periodSeconds: o.periodSeconds,
    ratePerUnit: o.ratePerUnit,
    revenueBps: o.revenueBps,
    // Only when granted: the documents (and hashes) of offers without credit stay what they were before credit existed.
    ...(o.creditLimit && o.creditLimit !== "0" ? { creditLimit: o.creditLimit } : {}),
    exclusive: o.exclusive,
    durationSeconds: o.durationSeconds,
    datasets: [...o.datasets]
      .map((d) => ({ datasetId: d.datasetId, weightBps: d.weightBps }))
      .sort((a, b) => a.datasetId.localeCompare(b.datasetId)),
    consent: "Each dataset has a documented consent basis for the scope; usage outside it is refused.",
    revocation: REVOCATION_CLAUSE[o.model],
  };
}

export function canonicalTerms(doc: ReturnType<typeof termsDocument>): string {
  const s = canonicalize(doc);
  // canonicalize answers undefined only for a value JSON cannot hold; the document is built from strings and numbers.
  if (s === undefined) throw new TributaryError("TERMS_NOT_SERIALIZABLE", "terms document is not serializable");
  return s;
}

export const termsHashOf = (canonical: string) => keccak256(stringToBytes(canonical));

async function offerSource({ prisma }: Deps, offerId: string): Promise<TermsSource> {
  const o = await prisma.offer.findUnique({ where: { id: offerId }, include: { datasets: true, creator: true } });
  if (!o) throw notFound(`offer ${offerId}`);
  return {
    ...o,
    creatorAddress: o.creator.address,
    price: o.price?.toFixed() ?? null,
    ratePerUnit: o.ratePerUnit?.toFixed() ?? null,
    creditLimit: o.creditLimit.toFixed(),
  };
}

/** The canonical bytes of an offer's terms (what its termsHash commits to) and the hash. */
export async function exportTerms(deps: Deps, offerId: string) {
  const src = await offerSource(deps, offerId);
  const canonical = canonicalTerms(termsDocument(deps.common.config.chainId, deps.common.config.splitterAddress, src));
  return { source: src, canonical, termsHash: termsHashOf(canonical) };
}
