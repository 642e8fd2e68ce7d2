/**
 * A C2PA / CAWG "training and data mining" assertion (label cawg.training-mining) for a dataset: each of the four
 * uses is "notAllowed" unless the dataset has a consent basis for the scope and open offers license it, in which
 * case it is "constrained" and constraint_info names the offers and their terms hashes.
 */
import type { Deps } from "./deps";
import { consentBases } from "./consent-basis";
import { notFound } from "../errors";

export async function tdmAssertion(deps: Deps, datasetId: string) {
  const ds = await deps.prisma.dataset.findUnique({ where: { id: datasetId }, select: { id: true, status: true } });
  if (!ds) throw notFound(`dataset ${datasetId}`);
  const offers = await deps.prisma.offer.findMany({
    where: { status: "open", datasets: { some: { datasetId } } },
    select: { id: true, scope: true, termsHash: true },
    orderBy: { createdAt: "asc" },
  });
  const entry = async (scope: "training" | "inference") => {
    const basis = (await consentBases(deps.prisma, [datasetId], scope)).get(datasetId);
    const open = offers.filter((o) => o.scope === scope);
    if (!basis || open.length === 0 || ds.status !== "active") return { use: "notAllowed" as const };
    return {
      use: "constrained" as const,
      constraint_info: `licensed only under Tributary offers ${open.map((o) => `${o.id} (terms ${o.termsHash})`).join(", ")}`,
    };
  };
  const training = await entry("training");
  const inference = await entry("inference");
  return {
    label: "cawg.training-mining",
    data: {
      entries: {
        "cawg.ai_training": training,
        "cawg.ai_generative_training": training,
        "cawg.data_mining": training,
        "cawg.ai_inference": inference,
      },
    },
    subject: { datasetId },
  };
}
