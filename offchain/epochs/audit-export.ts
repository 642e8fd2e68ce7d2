/**
 * The audit export of a closed epoch: everything an auditor needs to rerun the close offline — the settlement
 * engine's input (licenses, deposits, per-(license, dataset) usage and revenue, shares, carried state of the epoch it
 * chained from) and the usage commitment's records with the epoch secret — and `recomputeAudit`, which reruns the
 * pure engine and rebuilds the allocation tree, the usage commitment and the distribution file's content hash.
 *
 * Pseudonymous by construction: the engine's input holds no buyer names or ids and no item refs (usage arrives
 * aggregated); events appear only as their `eventRef` (SHA-256 of licenseId and idempotency key). Payer addresses
 * and license ids stay: both are on-chain already (deposit events), and refunds are leaves for the payer.
 *
 * @dev Warning: licenses and shares are read as they are now; an export taken after a later share change or
 * cancellation differs from what the close saw, and the recomputation then names the leaf that moved.
 */
import type { Address, Hex } from "viem";
import { z } from "zod";
import { buildDistribution, distributionContentHash, type Distribution } from "../merkle";
import { buildUsageCommitment, UsageRecordSchema, type UsageRecord } from "../merkle/usage-commitment";
import { allocate, SettlementInputSchema, type SettlementInputRaw } from "../settlement";
import { settlementInput, type EpochsDeps } from "./close";
import { EpochNotFoundError } from "./errors";
import { lastStandingEpoch } from "./standing-epoch";
import { billedUsageRecords } from "./usage-commitment";

export const AUDIT_EXPORT_FORMAT = "tributary-audit-export";

const BYTES32 = z.string().regex(/^0x[0-9a-f]{64}$/);
export const AuditExportSchema = z.strictObject({
  format: z.literal(AUDIT_EXPORT_FORMAT),
  version: z.literal(1),
  chainId: z.number().int().positive(),
  contract: z.string().regex(/^0x[0-9a-f]{40}$/),
  epoch: z.number().int().positive(),
  /** The epoch this one chained from (its carried state is `input.previous`). */
  baseEpoch: z.number().int().nonnegative(),
  /** What the service stored and published, for comparison; the chain is the authority. */
  published: z.strictObject({ root: BYTES32, contentHash: BYTES32, usageRoot: BYTES32.nullable() }),
  input: z.unknown(),
  /** The commitment's records; `salts[i]` is event record i's stored salt, null for an aggregate (derived). */
  usage: z
    .strictObject({ secret: BYTES32, records: z.array(UsageRecordSchema), salts: z.array(BYTES32.nullable()) })
    .nullable(),
});
export type AuditExport = Omit<z.infer<typeof AuditExportSchema>, "input"> & { input: SettlementInputRaw };

/**
 * The export of stored epoch `epoch`.
 * @throws EpochNotFoundError
 */
export async function auditExport(deps: EpochsDeps, epoch: number): Promise<AuditExport> {
  const { config } = deps.common;
  return deps.prisma.$transaction(async (tx) => {
    const row = await tx.epoch.findUnique({ where: { id: epoch } });
    if (!row) throw new EpochNotFoundError(epoch);
    // The close chained from the last epoch before it that was not vetoed.
    const base = await lastStandingEpoch(tx, epoch);
    const baseEpoch = base?.id ?? 0;
    const { raw, depositIds, creditKeys } = await settlementInput(tx, deps, epoch, row.startsAt, row.endsAt, baseEpoch);
    // The deposits this close settled (it marks every deposit it read), not those that arrived after it.
    const settled = new Set(
      (await tx.deposit.findMany({ where: { settledEpoch: epoch }, select: { id: true } })).map((d) => d.id),
    );
    // Likewise the usage credits it settled.
    const credited = new Set(
      (
        await tx.usageCorrection.findMany({
          where: { settledEpoch: epoch },
          select: { buyerId: true, correctionKey: true },
        })
      ).map((c) => `${c.buyerId}:${c.correctionKey}`),
    );
    const input: SettlementInputRaw = {
      ...raw,
      deposits: raw.deposits?.filter((_, i) => settled.has(depositIds[i])),
      credits: raw.credits?.filter((_, i) => credited.has(`${creditKeys[i].buyerId}:${creditKeys[i].correctionKey}`)),
    };
    const usage =
      row.usageSecret === null
        ? null
        : { secret: row.usageSecret, ...(await billedUsageRecords(tx, row.startsAt, row.endsAt)) };
    return {
      format: AUDIT_EXPORT_FORMAT,
      version: 1,
      chainId: config.chainId,
      contract: config.splitterAddress.toLowerCase(),
      epoch,
      baseEpoch,
      published: { root: row.root, contentHash: row.contentHash, usageRoot: row.usageRoot },
      input,
      usage,
    } as AuditExport;
  });
}

export type Recomputed = {
  epoch: number;
  /** Where the usage records disagree with the engine's usage input (each a sentence); empty when they agree. */
  inconsistencies: string[];
  root: Hex;
  usageRoot: Hex | null;
  contentHash: Hex;
  distribution: Distribution;
};

/**
 * Reruns the close from an export (parsed from untrusted JSON): the engine, the allocation tree, the usage commitment
 * and the distribution file's bytes (hashed, not written).
 * @throws ZodError when the export is malformed; SettlementError when the engine refuses its input.
 */
export async function recomputeAudit(json: unknown): Promise<Recomputed> {
  const e = AuditExportSchema.parse(json);
  const result = allocate(SettlementInputSchema.parse(e.input));
  const distribution = await buildDistribution(
    { chainId: e.chainId, contract: e.contract as Address, epoch: BigInt(e.epoch) },
    result.allocations.map((a) => ({ account: a.account, token: a.token, cumulativeAmount: a.cumulative })),
  );
  const usageRoot = e.usage
    ? (
        await buildUsageCommitment({
          epoch: e.epoch,
          secret: e.usage.secret as Hex,
          records: e.usage.records,
          salts: e.usage.salts as (Hex | null)[],
        })
      ).root
    : null;
  const { contentHash } = await distributionContentHash(distribution, usageRoot ?? undefined);
  const inconsistencies = e.usage ? usageInconsistencies(e.usage.records, e.input as SettlementInputRaw) : [];
  return { epoch: e.epoch, inconsistencies, root: distribution.root, usageRoot, contentHash, distribution };
}

/**
 * The committed usage must be what the engine billed: per (license, dataset) the events sum to their aggregate, and
 * the aggregates are the engine's per-use units (per license and dataset) or revenue (per license).
 */
function usageInconsistencies(records: readonly UsageRecord[], input: SettlementInputRaw): string[] {
  const out: string[] = [];
  const events = new Map<string, { n: number; units: bigint }>();
  const aggregates = new Map<string, bigint>();
  for (const r of records) {
    const key = `${r.licenseId}:${r.datasetId}`;
    if (r.kind === "event") {
      const e = events.get(key) ?? { n: 0, units: 0n };
      events.set(key, { n: e.n + 1, units: e.units + BigInt(r.units) });
    } else {
      const e = events.get(key) ?? { n: 0, units: 0n };
      if (e.n !== Number(r.events) || e.units !== BigInt(r.units))
        out.push(`aggregate ${key} says ${r.events} events / ${r.units} units, its events are ${e.n} / ${e.units}`);
      aggregates.set(key, BigInt(r.units));
    }
  }
  const engine = new Map<string, bigint>();
  for (const u of input.usage ?? [])
    engine.set(`${u.licenseId.toLowerCase()}:${u.datasetId.toLowerCase()}`, BigInt(u.units));
  const revenue = new Map<string, bigint>();
  for (const r of input.revenue ?? []) revenue.set(r.licenseId.toLowerCase(), BigInt(r.revenue));
  const committedRevenue = new Map<string, bigint>();
  for (const [key, units] of aggregates) {
    const licenseId = key.slice(0, 66);
    if (engine.has(key)) {
      if (engine.get(key) !== units)
        out.push(`usage ${key}: the engine billed ${engine.get(key)}, the commitment ${units}`);
      engine.delete(key);
    } else committedRevenue.set(licenseId, (committedRevenue.get(licenseId) ?? 0n) + units);
  }
  for (const [key, units] of engine)
    out.push(`usage ${key}: the engine billed ${units}, the commitment has no aggregate`);
  for (const [licenseId, r] of revenue)
    if (committedRevenue.get(licenseId) !== r)
      out.push(`revenue ${licenseId}: the engine billed ${r}, the commitment ${committedRevenue.get(licenseId) ?? 0n}`);
  for (const [licenseId, r] of committedRevenue)
    if (!revenue.has(licenseId)) out.push(`revenue ${licenseId}: the commitment has ${r}, the engine billed none`);
  return out;
}
