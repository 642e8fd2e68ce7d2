/** License offers: a creator's terms on a bundle of their own datasets with weights summing to 10,000 bps. */
import crypto from "node:crypto";
import { unprocessable } from "../errors";
import { requireConsentBasis } from "./consent-basis";
import { amountString, type Deps } from "./deps";
import { creatorByAddress } from "./creators";
import type { TokenAllowList } from "./token-allow-list";
import { canonicalTerms, termsDocument, termsHashOf } from "./terms";

export type OfferTerms =
  | { model: "one_time"; price: string }
  | { model: "subscription"; price: string; periodSeconds: number }
  | { model: "per_use"; ratePerUnit: string; creditLimit?: string }
  | { model: "revenue_share"; revenueBps: number };

export type OfferInput = OfferTerms & {
  token: string;
  scope: "training" | "inference";
  exclusive: boolean;
  durationSeconds: number;
  datasets: { datasetId: string; weightBps: number }[];
};

/** The terms an offer carries and a license copies from it, as stored. */
export type TermsRow = {
  model: string;
  token: string;
  scope: string;
  price: { toFixed(): string } | null;
  periodSeconds: number | null;
  ratePerUnit: { toFixed(): string } | null;
  revenueBps: number | null;
  creditLimit?: { toFixed(): string } | null;
  exclusive: boolean;
  status: string;
  datasets: { datasetId: string; weightBps: number }[];
};

/** Terms as the API shows them, for offers and licenses alike (amounts as decimal strings, datasets by id). */
export function termsView(t: TermsRow) {
  return {
    model: t.model,
    token: t.token,
    scope: t.scope,
    price: amountString(t.price),
    periodSeconds: t.periodSeconds,
    ratePerUnit: amountString(t.ratePerUnit),
    revenueBps: t.revenueBps,
    creditLimit: amountString(t.creditLimit) ?? "0",
    exclusive: t.exclusive,
    status: t.status,
    datasets: t.datasets
      .map((d) => ({ datasetId: d.datasetId, weightBps: d.weightBps }))
      .sort((a, b) => a.datasetId.localeCompare(b.datasetId)),
  };
}

export function offerView(o: TermsRow & { id: string; durationSeconds: number; termsHash?: string | null }) {
  return { id: o.id, ...termsView(o), durationSeconds: o.durationSeconds, termsHash: o.termsHash ?? null };
}

export async function createOffer(deps: Deps, creatorAddress: string, input: OfferInput, tokens?: TokenAllowList) {
  const creator = await creatorByAddress(deps, creatorAddress);
  if (tokens && !(await tokens.isAllowed(input.token as `0x${string}`))) {
    throw unprocessable("the splitter does not accept deposits in this token", [
      { path: "/token", message: "not on the RoyaltySplitter's token allow-list", code: "token-not-allowed" },
    ]);
  }
  const ids = input.datasets.map((d) => d.datasetId);
  if (new Set(ids).size !== ids.length)
    throw unprocessable("a dataset is listed twice", [{ path: "/datasets", message: "duplicate datasetId" }]);
  const total = input.datasets.reduce((a, d) => a + d.weightBps, 0);
  if (total !== 10_000)
    throw unprocessable("bundle weights must sum to 10,000 bps", [{ path: "/datasets", message: `sum is ${total}` }]);
  const owned = await deps.prisma.dataset.findMany({
    where: { id: { in: ids }, ownerId: creator.id, status: "active" },
    select: { id: true },
  });
  const ownedIds = new Set(owned.map((d) => d.id));
  const missing = input.datasets.flatMap((d, i) =>
    ownedIds.has(d.datasetId) ? [] : [{ path: `/datasets/${i}/datasetId`, message: "not an active dataset of yours" }],
  );
  if (missing.length) throw unprocessable("unknown dataset", missing);
  await requireConsentBasis(deps.prisma, ids, input.scope);
  const id = crypto.randomUUID();
  const price = "price" in input ? input.price : null;
  const periodSeconds = "periodSeconds" in input ? input.periodSeconds : null;
  const ratePerUnit = "ratePerUnit" in input ? input.ratePerUnit : null;
  const revenueBps = "revenueBps" in input ? input.revenueBps : null;
  const creditLimit = ("creditLimit" in input ? input.creditLimit : undefined) ?? "0";
  const termsHash = termsHashOf(
    canonicalTerms(
      termsDocument(deps.common.config.chainId, deps.common.config.splitterAddress, {
        ...input,
        id,
        creatorAddress: creator.address,
        price,
        periodSeconds,
        ratePerUnit,
        revenueBps,
        creditLimit,
      }),
    ),
  );
  const o = await deps.prisma.offer.create({
    data: {
      id,
      termsHash,
      creatorId: creator.id,
      model: input.model,
      token: input.token,
      scope: input.scope,
      price,
      periodSeconds,
      ratePerUnit,
      revenueBps,
      creditLimit,
      exclusive: input.exclusive,
      durationSeconds: input.durationSeconds,
      datasets: { create: input.datasets },
    },
    include: { datasets: true },
  });
  return offerView(o);
}

export async function listOffers({ prisma }: Deps) {
  const rows = await prisma.offer.findMany({
    where: { status: "open" },
    include: { datasets: true },
    orderBy: { createdAt: "asc" },
  });
  return rows.map(offerView);
}
