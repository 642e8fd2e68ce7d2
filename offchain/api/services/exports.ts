/**
 * Documentation exports. A data sheet per dataset (provenance, consent basis and counts per scope, licenses by
 * model — counts only, no subject, buyer or usage) and, for a buyer's own license, a training-content summary
 * under the headings of the EU AI Act Art. 53(1)(d) template (Commission template for the public summary of
 * training content, July 2025), as JSON and as a readable HTML page. Sections Tributary cannot know are marked
 * for the provider to complete instead of being invented.
 */
import escapeHtml from "escape-html";
import type { Prisma } from "../../db/generated/client";
import { notFound } from "../errors";
import { coverageOf } from "./consent-basis";
import type { Deps } from "./deps";
import { ownLicense } from "./licenses";

const TO_COMPLETE = "to be completed by the provider (not known to the licensor's platform)";
const NONE = "none under this license";
const TEMPLATE =
  "EU AI Act Art. 53(1)(d): Commission template for the public summary of training content (July 2025); " +
  "this license's data is section 2.2.1, the provider completes the rest";

const meta = (m: Prisma.JsonValue, key: string): string | null => {
  if (m && typeof m === "object" && !Array.isArray(m) && m[key] !== undefined && m[key] !== null) return String(m[key]);
  return null;
};

async function sheetOf(deps: Deps, datasetId: string) {
  const d = await deps.prisma.dataset.findUnique({
    where: { id: datasetId },
    include: { owner: { select: { address: true, name: true } }, _count: { select: { shares: true } } },
  });
  if (!d) throw notFound(`dataset ${datasetId}`);
  const [coverage, licenses, offers] = await Promise.all([
    coverageOf(deps.prisma, datasetId),
    deps.prisma.license.groupBy({
      by: ["model", "status"],
      where: { datasets: { some: { datasetId } } },
      _count: { _all: true },
    }),
    deps.prisma.offer.findMany({
      where: { status: "open", datasets: { some: { datasetId } } },
      select: { id: true, model: true, scope: true, termsHash: true },
      orderBy: { createdAt: "asc" },
    }),
  ]);
  const byModel: Record<string, Record<string, number>> = {};
  for (const l of licenses) byModel[l.model] = { ...byModel[l.model], [l.status]: l._count._all };
  return {
    format: "tributary-datasheet/1",
    generatedAt: new Date().toISOString(),
    dataset: { id: d.id, name: d.name, status: d.status, createdAt: d.createdAt.toISOString(), metadata: d.metadata },
    provenance: {
      licensor: { address: d.owner.address, name: d.owner.name },
      contributors: d._count.shares,
      modality: meta(d.metadata, "modality"),
      size: meta(d.metadata, "size"),
      source: meta(d.metadata, "source"),
    },
    consent: coverage.map((c) => ({
      scope: c.scope,
      basis: c.basis,
      attestation: c.attestation && { signer: c.attestation.signer, issuedAt: c.attestation.issuedAt },
      receipts: c.receipts,
      itemsCovered: c.itemsCovered,
      wholeDatasetReceipt: c.wholeDatasetReceipt,
    })),
    licensesByModel: byModel,
    openOffers: offers,
  };
}

/** The owner, or a buyer holding a license on the dataset, may read its sheet. */
export async function dataSheet(deps: Deps, address: string, datasetId: string) {
  const owner = await deps.prisma.dataset.findFirst({
    where: { id: datasetId, owner: { address } },
    select: { id: true },
  });
  if (!owner) {
    const held = await deps.prisma.licenseDataset.findFirst({
      where: { datasetId, license: { buyer: { address } } },
      select: { licenseId: true },
    });
    if (!held) throw notFound(`dataset ${datasetId}`);
  }
  return sheetOf(deps, datasetId);
}

export async function trainingSummary(deps: Deps, buyerAddress: string, licenseId: string) {
  const l = await ownLicense(deps, buyerAddress, licenseId);
  const [datasets, notices] = await Promise.all([
    deps.prisma.dataset.findMany({
      where: { id: { in: l.datasets.map((d) => d.datasetId) } },
      include: { owner: { select: { address: true, name: true } } },
      orderBy: { id: "asc" },
    }),
    deps.prisma.revocationNotice.count({ where: { licenseId: l.id } }),
  ]);
  const basis = (Array.isArray(l.consentBasis) ? l.consentBasis : []) as { datasetId: string; kind: string }[];
  const modalityOf = (d: (typeof datasets)[number]) => meta(d.metadata, "modality") ?? "not declared by the licensor";
  // Size per modality as the licensor declared it (free text such as "1.2 TB" or "40,000 clips": not summable).
  const sizeByModality: Record<string, { dataset: string; size: string }[]> = {};
  for (const d of datasets)
    (sizeByModality[modalityOf(d)] ??= []).push({ dataset: d.name, size: meta(d.metadata, "size") ?? "not declared" });
  const licensed = "Yes: commercially licensed from the rightsholder through Tributary (one license per row below).";
  return {
    format: "tributary-training-content-summary/2",
    template: TEMPLATE,
    generatedAt: new Date().toISOString(),
    license: {
      licenseId: l.id,
      scope: l.scope,
      model: l.model,
      termsHash: l.termsHash,
      startsAt: l.startsAt.toISOString(),
      endsAt: l.endsAt.toISOString(),
    },
    // Headings and their order are the template's (section 2.2 is where licensed data belongs); the fields under
    // them are what the licensor's platform knows, and the rest is left to the provider, never invented.
    "1. General information": {
      "1.1 Provider identification": {
        "Provider name and contact details": { name: l.buyer.name, contact: TO_COMPLETE },
        "Authorised representative name and contact details": TO_COMPLETE,
      },
      "1.2 Model identification": {
        "Versioned model name(s)": TO_COMPLETE,
        "Model dependencies": TO_COMPLETE,
        "Date of placement of the model on the Union market": TO_COMPLETE,
      },
      "1.3 Modalities, overall training data size and other characteristics": {
        Modalities: Object.keys(sizeByModality).sort(),
        "Training data size per modality": sizeByModality,
        "Types of content": datasets.map((d) => ({
          dataset: d.name,
          type: meta(d.metadata, "type") ?? "not declared",
        })),
        "Latest date of data acquisition/collection for model training": l.startsAt.toISOString(),
        "Other relevant characteristics": TO_COMPLETE,
      },
    },
    "2. List of data sources": {
      "2.1 Publicly available datasets": NONE,
      "2.2 Private non-publicly available datasets obtained from third parties": {
        "2.2.1 Datasets commercially licensed by rightsholders or their representatives": {
          "Commercial licensing agreements with rightsholders or their representatives": licensed,
          datasets: datasets.map((d) => ({
            dataset: d.name,
            datasetId: d.id,
            modality: modalityOf(d),
            licensor: d.owner.name,
            licensorAddress: d.owner.address,
            licenseId: l.id,
            period: `${l.startsAt.toISOString()} – ${l.endsAt.toISOString()}`,
            scope: l.scope,
          })),
        },
        "2.2.2 Private datasets obtained from other third parties": NONE,
      },
      "2.3 Data crawled and scraped from online sources": NONE,
      "2.4 User data": NONE,
      "2.5 Synthetic data": NONE,
      "2.6 Other sources of data": NONE,
    },
    "3. Data processing aspects": {
      "3.1 Respect of reservation of rights from text and data mining exception or limitation": {
        statement:
          "The data was licensed from the rightsholder, not used under the TDM exception; each dataset had a " +
          "documented consent basis for the scope when the license was taken, and revoked items are refused.",
        consentBasis: basis.map((b) => ({ datasetId: b.datasetId, kind: b.kind })),
        revocationNotices: notices,
      },
      "3.2 Removal of illegal content": TO_COMPLETE,
      "3.3 Other information": { termsHash: l.termsHash, terms: `/v1/offers/${l.offerId}/terms` },
    },
  };
}

/** The same summary as a self-contained HTML page (every value escaped). */
export function summaryHtml(s: Awaited<ReturnType<typeof trainingSummary>>): string {
  // Template headings (keys starting "1.", "2.2", "2.2.1", …) become h2/h3/h4; other keys a definition list.
  const level = (k: string) => k.split(" ")[0].split(".").filter(Boolean).length + 1;
  const render = (v: unknown): string => {
    if (v === null || v === undefined) return "<em>none</em>";
    if (Array.isArray(v)) return `<ul>${v.map((x) => `<li>${render(x)}</li>`).join("")}</ul>`;
    if (typeof v === "object") {
      const entries = Object.entries(v);
      const headed = entries.filter(([k]) => /^\d+\./.test(k));
      const plain = entries.filter(([k]) => !/^\d+\./.test(k));
      const dl = plain.length
        ? `<dl>${plain.map(([k, x]) => `<dt>${escapeHtml(k)}</dt><dd>${render(x)}</dd>`).join("")}</dl>`
        : "";
      const sections = headed
        .map(([k, x]) => `<section><h${level(k)}>${escapeHtml(k)}</h${level(k)}>${render(x)}</section>`)
        .join("\n");
      return dl + sections;
    }
    return escapeHtml(String(v));
  };
  const sections = Object.fromEntries(Object.entries(s).filter(([k]) => /^\d\./.test(k)));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Training-content summary ${escapeHtml(s.license.licenseId)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}dt{font-weight:600}
dd{margin:0 0 .5rem 1rem}h2{border-bottom:1px solid #ccc}</style></head>
<body><h1>Training-content summary</h1><p>${escapeHtml(s.template)}</p>${render({ license: s.license, generatedAt: s.generatedAt })}
${render(sections)}
</body></html>`;
}
