/**
 * Usage-inclusion receipts (offchain/merkle/usage-commitment.ts): a buyer's proof that one of its events was counted
 * in epoch N, and a creator's per-(license, dataset) aggregates of one of its datasets in epoch N with the terms they
 * were billed at. Each receipt verifies against the `usageRoot` in the epoch's distribution file header, which is
 * anchored on-chain through the file's contentHash; it names only its own record and salt.
 *
 * Served from the event's stored salt and leaf and the epoch's tree, which `rebuildEpochUsage` builds once from the
 * stored leaves and keeps for the most recent epochs asked about (the first receipt of an epoch costs one rebuild).
 */
import { rebuildEpochUsage } from "../../epochs";
import { EpochUsageCommitmentMismatchError } from "../../epochs/errors";
import type { Hex } from "viem";
import {
  usageEventLeaf,
  usageEventRef,
  usageLeaf,
  usageSalt,
  type UsageEventRecord,
  type UsageReceipt,
} from "../../merkle/usage-commitment";
import { conflict, notFound } from "../errors";
import { ownedDataset, sharesAt } from "./creators";
import type { Deps } from "./deps";
import { amountString } from "./deps";
import { ownLicense } from "./licenses";

type EpochRow = {
  id: number;
  startsAt: Date;
  endsAt: Date;
  contentHash: string;
  usageRoot: string | null;
  usageSecret: string | null;
};
const EPOCH_FIELDS = {
  id: true,
  startsAt: true,
  endsAt: true,
  contentHash: true,
  usageRoot: true,
  usageSecret: true,
} as const;

async function commitmentOf(deps: Deps, epoch: EpochRow) {
  const { usageRoot, usageSecret } = epoch;
  if (!usageRoot || !usageSecret)
    throw conflict(`epoch ${epoch.id} was closed before epochs committed to their usage: it has no usage receipts`);
  try {
    return await rebuildEpochUsage(deps.prisma, { ...epoch, usageRoot, usageSecret });
  } catch (e) {
    if (e instanceof EpochUsageCommitmentMismatchError) throw conflict(e.message);
    throw e;
  }
}

/** The receipt of the caller's event `idempotencyKey` on its license `licenseId`, from the epoch that billed it. */
export async function buyerUsageReceipt(
  deps: Deps,
  buyerAddress: string,
  licenseId: string,
  idempotencyKey: string,
): Promise<{ epoch: number; contentHash: string; receipt: UsageReceipt }> {
  const license = await ownLicense(deps, buyerAddress, licenseId);
  const event = await deps.prisma.usageEvent.findUnique({
    where: { buyerId_idempotencyKey: { buyerId: license.buyerId, idempotencyKey } },
    select: {
      licenseId: true,
      datasetId: true,
      units: true,
      occurredAt: true,
      billableAt: true,
      commitmentSalt: true,
      commitmentLeaf: true,
      voidedAt: true,
    },
  });
  if (!event || event.licenseId.toLowerCase() !== licenseId.toLowerCase())
    throw notFound(`usage event ${JSON.stringify(idempotencyKey)} of license ${licenseId}`);
  if (event.voidedAt)
    throw conflict(
      "the event was voided by a correction before it was billed: it is in no commitment (its corrected event is)",
    );
  if (license.model !== "per_use" && license.model !== "revenue_share")
    throw conflict(`license ${licenseId} is ${license.model}: its usage is not billed, so it is in no commitment`);
  // The window rule of the close: each event lies in exactly one standing epoch's [startsAt, endsAt).
  const at = event.billableAt ?? event.occurredAt;
  const epoch = await deps.prisma.epoch.findFirst({
    where: { status: { not: "vetoed" }, startsAt: { lte: at }, endsAt: { gt: at } },
    select: EPOCH_FIELDS,
  });
  if (!epoch) throw conflict(`the event is not billed yet: no closed epoch holds ${at.toISOString()}`);
  const { tree } = await commitmentOf(deps, epoch);
  if (!event.commitmentSalt || !event.commitmentLeaf)
    throw conflict(`epoch ${epoch.id}'s commitment has no record of the event`);
  const record: UsageEventRecord = {
    kind: "event",
    licenseId: event.licenseId.toLowerCase(),
    datasetId: event.datasetId.toLowerCase(),
    eventRef: usageEventRef(licenseId, idempotencyKey),
    units: event.units.toFixed(0),
  };
  const salt = `0x${Buffer.from(event.commitmentSalt).toString("hex")}` as Hex;
  const leaf = usageEventLeaf(salt, record);
  // The stored leaf must be the one the record and salt give, and be in the tree the epoch published.
  const proof = leaf === `0x${Buffer.from(event.commitmentLeaf).toString("hex")}` ? tree.proof(leaf) : null;
  if (!proof) throw conflict(`epoch ${epoch.id}'s commitment has no record of the event`);
  return {
    epoch: epoch.id,
    contentHash: epoch.contentHash,
    receipt: { format: "tributary-usage-receipt", version: 1, epoch: epoch.id, root: tree.root, record, salt, proof },
  };
}

/**
 * The aggregates of the caller's dataset `datasetId` in epoch `epochId`, each with its receipt and the terms of its
 * license, from which the creator recomputes what the dataset was billed (`tributary verify earnings`). Beside them,
 * what that recomputation needs and only concerns the caller: the platform fee, the caller's own bps in each share
 * period of the epoch (the engine splits by the shares in force at each event's time), and the dataset's
 * subscription and one-time licenses that may have recognized revenue in the epoch (their recognition depends on
 * deposits and periods, not on usage, so the check says that part is not checkable from usage). Nothing about
 * other parties: no buyer, no other contributor's share.
 */
export async function creatorUsageReceipts(deps: Deps, ownerAddress: string, datasetId: string, epochId: number) {
  const dataset = await ownedDataset(deps, ownerAddress, datasetId);
  const epoch = await deps.prisma.epoch.findUnique({ where: { id: epochId }, select: EPOCH_FIELDS });
  if (!epoch) throw notFound(`epoch ${epochId}`);
  const { tree, aggregates, secret } = await commitmentOf(deps, epoch);
  const mine = aggregates.filter((r) => r.datasetId === datasetId.toLowerCase());
  const licenseIds = mine.map((r) => r.licenseId);
  const licenses = await deps.prisma.license.findMany({
    where: { id: { in: licenseIds } },
    select: {
      id: true,
      model: true,
      token: true,
      ratePerUnit: true,
      revenueBps: true,
      datasets: { where: { datasetId }, select: { weightBps: true } },
    },
  });
  const terms = new Map(licenses.map((l) => [l.id.toLowerCase(), l]));
  // Share periods as the close builds them: the shares in force at the window's start, then each change inside it.
  const [listed, changes, others] = await Promise.all([
    deps.prisma.contributorShare.findMany({ where: { datasetId }, select: { account: true, bps: true } }),
    deps.prisma.shareChange.findMany({
      where: { datasetId, effectiveAt: { lt: epoch.endsAt } },
      select: { effectiveAt: true, shares: true },
    }),
    deps.prisma.licenseDataset.findMany({
      where: {
        datasetId,
        license: { model: { in: ["one_time", "subscription"] }, startsAt: { lt: epoch.endsAt } },
      },
      select: { license: { select: { id: true, model: true, token: true } } },
      orderBy: { licenseId: "asc" },
    }),
  ]);
  const me = dataset.owner.address.toLowerCase();
  const bpsAt = (at: Date) => sharesAt(listed, changes, at).find((x) => x.account.toLowerCase() === me)?.bps ?? 0;
  const sharePeriods = [
    { from: epoch.startsAt, bps: bpsAt(epoch.startsAt) },
    ...changes
      .filter((c) => c.effectiveAt > epoch.startsAt)
      .sort((a, b) => a.effectiveAt.getTime() - b.effectiveAt.getTime())
      .map((c) => ({ from: c.effectiveAt, bps: bpsAt(c.effectiveAt) })),
  ].map((p) => ({ from: p.from.toISOString(), bps: p.bps }));
  return {
    epoch: epoch.id,
    contentHash: epoch.contentHash,
    datasetId: datasetId.toLowerCase(),
    account: me,
    platformFeeBps: deps.common.config.platformFeeBps,
    sharePeriods,
    otherLicenses: others.map(({ license: l }) => ({ licenseId: l.id.toLowerCase(), model: l.model, token: l.token })),
    aggregates: mine.map((record) => {
      const salt = usageSalt(secret, record);
      const receipt: UsageReceipt = {
        format: "tributary-usage-receipt",
        version: 1,
        epoch: epoch.id,
        root: tree.root,
        record,
        salt,
        // The aggregate is one of the tree's own records: its leaf is there.
        proof: tree.proof(usageLeaf(epoch.id, salt, record)) ?? [],
      };
      const l = terms.get(receipt.record.licenseId);
      return {
        receipt,
        terms: {
          model: l?.model ?? null,
          token: l?.token ?? null,
          ratePerUnit: amountString(l?.ratePerUnit),
          revenueBps: l?.revenueBps ?? null,
          weightBps: l?.datasets[0]?.weightBps ?? null,
        },
      };
    }),
  };
}
