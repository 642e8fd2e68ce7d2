/**
 * Licenses: a buyer takes an offer. Exclusivity is checked under a transaction-scoped advisory lock so two
 * concurrent takes cannot both win; a conflict names the dataset, scope and window, never the other buyer.
 */
import crypto from "node:crypto";
import { conflict, notFound } from "../errors";
import { amountString, type Deps } from "./deps";
import { termsView, type TermsRow } from "./offers";
import { buyerByAddress } from "./buyers";
import { audit } from "./audit";
import { requireConsentBasis, type Scope } from "./consent-basis";
import { enqueueLicenseCancelled, enqueueLicenseTaken } from "../../webhooks/events";
import type { Prisma } from "../../db/generated/client";
import type { Address } from "viem";
import type { TokenAllowList } from "./token-allow-list";
import { openUnits, openWindow, type OpenWindow } from "./open-usage";

const EXCLUSIVITY_LOCK = 0x7472696275; // arbitrary constant naming this lock

export function licenseView(
  l: TermsRow & {
    id: string;
    offerId: string;
    startsAt: Date;
    endsAt: Date;
    cancelledAt?: Date | null;
    termsHash?: string | null;
    consentBasis?: Prisma.JsonValue;
  },
  balance: Awaited<ReturnType<typeof licenseBalance>>,
) {
  return {
    licenseId: l.id,
    offerId: l.offerId,
    ...termsView(l),
    startsAt: l.startsAt.toISOString(),
    endsAt: l.endsAt.toISOString(),
    cancelledAt: l.cancelledAt ? l.cancelledAt.toISOString() : null,
    onEnd: ON_END[l.model as keyof typeof ON_END] ?? "",
    termsHash: l.termsHash ?? null,
    consentBasis: l.consentBasis ?? [],
    balance,
  };
}

/** What ending (term or cancel) means in money, per model: the engine's rules (offchain/settlement/lifecycle.ts). */
const ON_END = {
  one_time:
    "the fee is final once recognized; any overpayment is refunded; cancelled unpaid, every deposit is refunded",
  subscription:
    "a cancellation ends the term at the end of the current period; unstarted periods are refunded at the next close",
  per_use: "usage may still be reported for the late-usage grace after the end; then the escrow left is refunded",
  revenue_share:
    "revenue may still be reported for the late-usage grace after the end; then the escrow left is refunded",
} as const;

/**
 * Cancels one of the caller's active licenses now. Refunds are cumulative leaves for the buyer's address, claimable
 * with `GET /v1/proofs/:account` once the epoch that computes them is claimable.
 */
export async function cancelLicense(deps: Deps, buyerAddress: string, licenseId: string) {
  const l = await ownLicense(deps, buyerAddress, licenseId);
  if (l.status !== "active") throw conflict(`license ${licenseId} is ${l.status}, not active`);
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  if (now >= l.endsAt) throw conflict(`license ${licenseId} already ended at ${l.endsAt.toISOString()}`);
  const updated = await deps.prisma.$transaction(async (tx) => {
    // Conditional update: two concurrent cancels cannot both succeed.
    const n = await tx.license.updateMany({
      where: { id: licenseId, status: "active" },
      data: { status: "cancelled", cancelledAt: now },
    });
    if (n.count !== 1) throw conflict(`license ${licenseId} is no longer active`);
    await audit(tx, {
      actor: buyerAddress,
      action: "license.cancelled",
      target: `license:${licenseId}`,
      details: { at: now.toISOString() },
    });
    const row = await tx.license.findUniqueOrThrow({
      where: { id: licenseId },
      include: { datasets: true, offer: { select: { creatorId: true } }, buyer: { select: { address: true } } },
    });
    await enqueueLicenseCancelled(tx, row, row.offer.creatorId, row.buyer.address);
    return row;
  });
  return licenseView(updated, await licenseBalance(deps.prisma, updated));
}

export async function takeLicense(deps: Deps, buyerAddress: string, input: { offerId: string; startsAt?: string }) {
  const buyer = await buyerByAddress(deps, buyerAddress);
  const offer = await deps.prisma.offer.findUnique({ where: { id: input.offerId }, include: { datasets: true } });
  if (!offer || offer.status !== "open") throw notFound(`offer ${input.offerId}`);
  const startsAt = input.startsAt ? new Date(input.startsAt) : new Date();
  const endsAt = new Date(startsAt.getTime() + offer.durationSeconds * 1000);
  const datasetIds = offer.datasets.map((d) => d.datasetId);
  return deps.prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${EXCLUSIVITY_LOCK}::bigint)`;
    // Overlap of [startsAt, endsAt) windows on a shared dataset and scope, where either side is exclusive.
    const clash = await tx.licenseDataset.findFirst({
      where: {
        datasetId: { in: datasetIds },
        license: {
          status: "active",
          scope: offer.scope,
          startsAt: { lt: endsAt },
          endsAt: { gt: startsAt },
          ...(offer.exclusive ? {} : { exclusive: true }),
        },
      },
      include: { license: { select: { startsAt: true, endsAt: true, exclusive: true } } },
      orderBy: { datasetId: "asc" },
    });
    if (clash) {
      throw conflict(
        `dataset ${clash.datasetId} is ${clash.license.exclusive ? "exclusively licensed" : "already licensed"} for ${offer.scope} from ` +
          `${clash.license.startsAt.toISOString()} to ${clash.license.endsAt.toISOString()}`,
        {
          conflict: {
            datasetId: clash.datasetId,
            scope: offer.scope,
            start: clash.license.startsAt.toISOString(),
            end: clash.license.endsAt.toISOString(),
            exclusive: clash.license.exclusive,
          },
        },
      );
    }
    // The basis is read again at take time: a revocation since the offer was published may have removed it.
    const basis = await requireConsentBasis(tx, datasetIds, offer.scope as Scope);
    const l = await tx.license.create({
      data: {
        id: "0x" + crypto.randomBytes(32).toString("hex"),
        termsHash: offer.termsHash,
        consentBasis: basis,
        offerId: offer.id,
        buyerId: buyer.id,
        model: offer.model,
        token: offer.token,
        scope: offer.scope,
        price: offer.price,
        periodSeconds: offer.periodSeconds,
        ratePerUnit: offer.ratePerUnit,
        revenueBps: offer.revenueBps,
        creditLimit: offer.creditLimit,
        exclusive: offer.exclusive,
        startsAt,
        endsAt,
        datasets: { create: offer.datasets.map((d) => ({ datasetId: d.datasetId, weightBps: d.weightBps })) },
      },
      include: { datasets: true },
    });
    await enqueueLicenseTaken(tx, l, offer.creatorId, buyerAddress);
    return licenseView(l, await licenseBalance(tx, l));
  });
}

/** The caller's own license; another buyer's is reported as not found. */
export async function ownLicense(deps: Deps, buyerAddress: string, licenseId: string) {
  const l = await deps.prisma.license.findUnique({
    where: { id: licenseId },
    include: { datasets: true, buyer: true },
  });
  if (!l || l.buyer.address !== buyerAddress) throw notFound(`license ${licenseId}`);
  return l;
}

/** One of the caller's licenses with its balance. */
export async function getLicense(deps: Deps, buyerAddress: string, licenseId: string) {
  const l = await ownLicense(deps, buyerAddress, licenseId);
  return licenseView(l, await licenseBalance(deps.prisma, l));
}

export async function listLicenses(deps: Deps, buyerAddress: string) {
  const buyer = await buyerByAddress(deps, buyerAddress);
  const rows = await deps.prisma.license.findMany({
    where: { buyerId: buyer.id },
    include: { datasets: true },
    orderBy: { createdAt: "asc" },
  });
  const views = [];
  // Sequential: a buyer has few licenses, and each balance is a few indexed reads.
  for (const l of rows) views.push(licenseView(l, await licenseBalance(deps.prisma, l)));
  return views;
}

/** What to send on-chain: RoyaltySplitter's deposit(licenseId, token, amount). Escrow models take any amount. */
export async function depositInstructions(
  deps: Deps,
  buyerAddress: string,
  licenseId: string,
  tokens?: TokenAllowList,
) {
  return instructionsFor(deps, await ownLicense(deps, buyerAddress, licenseId), tokens);
}

/** Deposit instructions of a license row, with its token's decimals when they can be known. */
export async function instructionsFor(
  deps: Deps,
  l: {
    id: string;
    model: string;
    token: string;
    price: { toFixed(): string } | null;
    periodSeconds: number | null;
    termsHash: string | null;
  },
  tokens?: TokenAllowList,
) {
  const fixed = l.model === "one_time" || l.model === "subscription";
  return {
    chainId: deps.common.config.chainId,
    contract: deps.common.config.splitterAddress,
    licenseId: l.id,
    token: l.token,
    decimals: tokens ? await tokens.decimalsOf(l.token as Address) : null,
    amount: fixed ? amountString(l.price) : null,
    termsHash: l.termsHash,
    note: fixed
      ? l.model === "subscription"
        ? `one period of ${l.periodSeconds} s per deposit of amount; deposit again for later periods (a last, shorter ` +
          "period costs its share of amount; anything beyond the term is refunded)"
        : "the one-time fee"
      : "prepaid escrow: deposit any amount; usage is drawn from it each epoch",
  };
}

type Db = Pick<Deps["prisma"], "$queryRaw" | "epoch" | "deposit">;

/**
 * What a license's escrow holds and what it owes now, in base units of its token. From the last epoch that stood (not
 * vetoed): confirmed deposits − recognized − refunded, plus deposits confirmed since; against that, what settlement
 * carried as owed (uncovered per-use / revenue-share charges, less credits) plus per-use usage not settled yet
 * (units × rate). `owed` = what the charges exceed the escrow by; `available` = the reverse.
 */
export async function licenseBalance(
  db: Db,
  l: { id: string; model: string; ratePerUnit: { toFixed(): string } | null; creditLimit: { toFixed(): string } },
  /** Per-use: the open units when the caller already holds them (ingestion, from the counter it just updated). */
  known?: { window: OpenWindow; units: bigint },
) {
  const window = known?.window ?? (await openWindow(db));
  const baseId = window.baseEpoch;
  // Only this license's entry of the carried state: the state of a large epoch is not sent over for one license.
  const [carried] = baseId
    ? await db.$queryRaw<{ entry: Record<string, unknown> }[]>`
        SELECT elem AS entry FROM epochs e, jsonb_array_elements(e.state->'licenses') elem
        WHERE e.id = ${baseId} AND elem->>'licenseId' = ${l.id}`
    : [];
  const big = (v: unknown) => BigInt(typeof v === "string" || typeof v === "number" ? v : 0);
  const sum = (v: unknown) =>
    Array.isArray(v) ? (v as { amount?: unknown }[]).reduce((a, o) => a + big(o.amount), 0n) : 0n;
  const entry = carried?.entry ?? {};
  const fresh = await db.deposit.findMany({
    where: { licenseId: l.id, state: "confirmed", OR: [{ settledEpoch: null }, { settledEpoch: { gt: baseId } }] },
    select: { amount: true },
  });
  const escrow =
    big(entry.deposited) -
    big(entry.recognized) -
    big(entry.refunded) +
    fresh.reduce((a, d) => a + BigInt(d.amount.toFixed()), 0n);
  let unbilled = 0n;
  if (l.model === "per_use" && l.ratePerUnit) {
    // The running counter of open units (offchain/api/services/open-usage.ts), not a sum over the epoch's events.
    const units = known?.units ?? (await openUnits(db, l.id, window));
    unbilled = units * BigInt(l.ratePerUnit.toFixed());
  }
  // Credits of corrections the next close has not yet taken (or took in an epoch since vetoed) lower the charges too.
  const [{ pending }] = await db.$queryRaw<{ pending: string | null }[]>`
      SELECT sum(credit)::text AS pending FROM usage_corrections
      WHERE license_id = ${l.id} AND credit > 0 AND (settled_epoch IS NULL OR settled_epoch > ${baseId})`;
  // Unused credit is no money of the buyer's (the engine only sets it against later charges): never below zero.
  const net = sum(entry.owed) - sum(entry.credit) - BigInt(pending ?? "0") + unbilled;
  const charges = net < 0n ? 0n : net;
  const owed = charges > escrow ? charges - escrow : 0n;
  return {
    escrow: escrow.toString(),
    charges: charges.toString(),
    owed: owed.toString(),
    available: (escrow > charges ? escrow - charges : 0n).toString(),
    creditLimit: l.creditLimit.toFixed(),
  };
}
