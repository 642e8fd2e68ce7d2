/**
 * RSL-style XML for an offer (Really Simple Licensing 1.0 vocabulary: <content>, <license>, <permits
 * type="usage"> with ai-train / ai-input, <payment type=…>), and the reverse: reading the parts that map back to
 * an offer draft. Base-unit amounts, the ERC-20 token and the terms hash have no RSL element; they travel in a
 * namespaced <tributary:terms> extension, which RSL readers ignore.
 */
import { XMLBuilder, XMLParser } from "fast-xml-parser";
import { unprocessable } from "../errors";
import type { Deps } from "./deps";
import { exportTerms } from "./terms";

const RSL_NS = "https://rslstandard.org/rsl";
const TRIBUTARY_NS = "https://tributary.dev/ns/terms/1";

const USAGE = { training: "ai-train", inference: "ai-input" } as const;
// revenue_share has no RSL payment type: it is exported as "use" and told apart by the extension.
const PAYMENT = { one_time: "purchase", subscription: "subscription", per_use: "use", revenue_share: "use" } as const;

const datasetUrn = (id: string) => `urn:tributary:dataset:${id}`;

export async function offerRsl(deps: Deps, offerId: string, baseUrl: string): Promise<string> {
  const { source: o, termsHash } = await exportTerms(deps, offerId);
  const amount = o.price ?? o.ratePerUnit;
  const license = {
    permits: { "@_type": "usage", "#text": USAGE[o.scope as keyof typeof USAGE] },
    payment: {
      "@_type": PAYMENT[o.model as keyof typeof PAYMENT],
      standard: `${baseUrl}/v1/offers/${o.id}/terms`,
      ...(amount ? { amount: { "@_currency": o.token, "#text": amount } } : {}),
    },
    "tributary:terms": {
      "@_offer": o.id,
      "@_model": o.model,
      "@_token": o.token,
      "@_termsHash": termsHash,
      "@_exclusive": String(o.exclusive),
      "@_durationSeconds": String(o.durationSeconds),
      ...(o.price ? { "@_price": o.price } : {}),
      ...(o.periodSeconds ? { "@_periodSeconds": String(o.periodSeconds) } : {}),
      ...(o.ratePerUnit ? { "@_ratePerUnit": o.ratePerUnit } : {}),
      ...(o.revenueBps ? { "@_revenueBps": String(o.revenueBps) } : {}),
    },
  };
  const doc = {
    "?xml": { "@_version": "1.0", "@_encoding": "UTF-8" },
    rsl: {
      "@_xmlns": RSL_NS,
      "@_xmlns:tributary": TRIBUTARY_NS,
      content: o.datasets.map((d) => ({
        "@_url": datasetUrn(d.datasetId),
        "@_server": `${baseUrl}/v1/offers/${o.id}`,
        "@_tributary:weightBps": String(d.weightBps),
        license,
      })),
    },
  };
  return new XMLBuilder({
    ignoreAttributes: false,
    format: true,
    suppressEmptyNode: true,
    suppressBooleanAttributes: false,
  }).build(doc);
}

type Draft = Record<string, unknown> & { datasets: { datasetId: string; weightBps: number }[] };

/** The offer body an RSL document maps to, and what did not map. Nothing is stored. */
export function importRsl(xml: string): { offer: Draft; unmapped: string[] } {
  const parser = new XMLParser({
    ignoreAttributes: false,
    isArray: (name) => name === "content" || name === "permits",
  });
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(xml, true) as Record<string, unknown>;
  } catch (err) {
    throw unprocessable("not well-formed XML", [{ path: "/xml", message: (err as Error).message.slice(0, 200) }]);
  }
  const rsl = doc.rsl as { content?: Record<string, unknown>[] } | undefined;
  if (!rsl?.content?.length) throw unprocessable("no <rsl><content> element", [{ path: "/xml", message: "not RSL" }]);
  const unmapped: string[] = [];
  const datasets: Draft["datasets"] = [];
  let offer: Draft = { datasets };
  for (const [i, c] of rsl.content.entries()) {
    const url = String(c["@_url"] ?? "");
    const m = /^urn:tributary:dataset:(0x[0-9a-fA-F]{64})$/.exec(url);
    if (!m) {
      unmapped.push(`content[${i}]@url=${url}: not a Tributary dataset`);
      continue;
    }
    datasets.push({ datasetId: m[1].toLowerCase(), weightBps: Number(c["@_tributary:weightBps"] ?? 0) });
    const lic = (c.license ?? {}) as Record<string, unknown>;
    const permits = (lic.permits ?? []) as { "@_type"?: string; "#text"?: string }[];
    const usages = permits.flatMap((p) =>
      String(p["#text"] ?? "")
        .split(/[\s,]+/)
        .filter(Boolean),
    );
    const scope = usages.includes("ai-train") ? "training" : usages.includes("ai-input") ? "inference" : undefined;
    if (scope) offer.scope = scope;
    for (const u of usages) if (u !== "ai-train" && u !== "ai-input") unmapped.push(`permits usage ${u}`);
    const payment = (lic.payment ?? {}) as Record<string, unknown>;
    const ptype = String(payment["@_type"] ?? "");
    const t = (lic["tributary:terms"] ?? {}) as Record<string, string>;
    const model =
      t["@_model"] ??
      ({ purchase: "one_time", subscription: "subscription", use: "per_use" } as Record<string, string>)[ptype];
    if (!model) unmapped.push(`payment type ${ptype || "(none)"}`);
    const amount = payment.amount as { "@_currency"?: string; "#text"?: string | number } | undefined;
    offer = {
      ...offer,
      ...(model ? { model } : {}),
      ...(t["@_token"] ? { token: t["@_token"] } : {}),
      ...(t["@_exclusive"] ? { exclusive: t["@_exclusive"] === "true" } : {}),
      ...(t["@_durationSeconds"] ? { durationSeconds: Number(t["@_durationSeconds"]) } : {}),
      ...(t["@_price"] ? { price: t["@_price"] } : {}),
      ...(t["@_periodSeconds"] ? { periodSeconds: Number(t["@_periodSeconds"]) } : {}),
      ...(t["@_ratePerUnit"] ? { ratePerUnit: t["@_ratePerUnit"] } : {}),
      ...(t["@_revenueBps"] ? { revenueBps: Number(t["@_revenueBps"]) } : {}),
    };
    if (!t["@_token"] && amount) unmapped.push(`amount in ${amount["@_currency"]}: no ERC-20 token or base units`);
  }
  if (datasets.length === 1 && datasets[0].weightBps === 0) datasets[0].weightBps = 10_000;
  return { offer, unmapped };
}
