/**
 * `tributary verify earnings <account> --usage <response>... --file <distribution N> [--previous <distribution N−1>]`
 * — a creator checks that its allocation in epoch N follows from the usage billed on its datasets, with only what
 * it is given: the usage responses of its datasets (`GET /v1/datasets/:id/usage-receipts/:epoch`, one per dataset),
 * the published distribution files, and optionally an RPC endpoint to anchor the files on chain.
 *
 * 1. Every aggregate's receipt verifies against the `usageRoot` in file N's header (and the file is the one the
 *    response names by content hash; with the chain, the one proposed on chain, as `verify receipt` checks).
 * 2. Per token, the creator's expected increment is recomputed the way the engine computes it
 *    (offchain/settlement/allocate.ts, recognize/):
 *    - per-use: due = ratePerUnit · units on the dataset (bundle weights do not apply: usage names its dataset);
 *    - revenue share: a report names its dataset, so due = ⌊revenue · revenueBps / 10⁴⌋ per (dataset, share period);
 *    - pool stage: the creator's exact entitlement = due · (10⁴ − platformFeeBps) · bps, × EXACT_SCALE (10⁸), with
 *      the bps in force at each event's time. An aggregate has no time split, so across a share change inside the
 *      epoch the dataset's part is bounded by the lowest and highest of the creator's bps in the epoch (and a
 *      revenue share's ⌊⌋ per period by ⌊R·b/10⁴⌋ − (periods − 1) … ⌊R·b/10⁴⌋): an interval, not a figure.
 *    It is compared with leaf(N) − leaf(N−1) for (account, token).
 * Not checkable from usage, and reported as such: subscription and one-time recognition (it depends on deposits
 * and periods; the response lists such licenses, and a token that has one is checked one-sided: the leaf must hold
 * at least the usage part); a per-use or revenue-share license whose escrow fell short (the engine pays pro rata
 * and carries the rest as owed; the creator cannot see the escrow), which shows as a leaf below the expected one.
 *
 * Rounding (offchain/settlement/round.ts): the engine rounds the cumulative, not the increment. Each (account,
 * token) carries its exact entitlement e (× 10⁸) and gets c' = max(c, ⌊e'⌋), plus one unit for the accounts furthest
 * below e' (largest remainder, carried): so |c − e| < 1 at every epoch while shares stay constant. The creator
 * knows neither e(N−1) nor e(N), only e(N) − e(N−1) = D (exact, computed here); from |c(N−1) − e(N−1)| < 1 and
 * |c(N) − e(N)| < 1 follows |Δc − D| < 2, which is the check, in exact integers (no tolerance beyond the rule).
 * For the first epoch (no --previous) c(0) = e(0) = 0, so |Δc − D| < 1. When a share change lowers an account
 * already ahead of its exact value, the engine keeps monotonicity and round.ts bounds the gap by 2 units instead
 * of 1: with a share change in epoch N its term counts 2 (|Δc − D| < 3, or < 2 for the first epoch). A share change
 * in an earlier epoch that still leaves the account ahead at N−1 is not visible in the responses; the check then
 * assumes the ordinary bound for N−1.
 */
import fs from "node:fs";
import type { Address, Hex } from "viem";
import { z } from "zod";
import { readDistributionFile } from "../../merkle";
import { UsageReceiptSchema, verifyUsageReceipt } from "../../merkle/usage-commitment";
import { EXACT_SCALE } from "../../settlement/types";
import type { Context } from "../context";
import { CliError } from "../errors";
import { verifyDistributionFile } from "./verify";

const DEC = z.string().regex(/^(0|[1-9][0-9]*)$/);
/** The route's answer (offchain/api/routes/creators.ts), parsed strictly enough to compute with. */
export const DatasetUsageSchema = z.object({
  epoch: z.number().int().nonnegative(),
  contentHash: z.string(),
  datasetId: z.string(),
  account: z.string(),
  platformFeeBps: z.number().int().min(0).max(10_000),
  sharePeriods: z.array(z.object({ from: z.string(), bps: z.number().int().min(0).max(10_000) })).min(1),
  otherLicenses: z.array(z.object({ licenseId: z.string(), model: z.string(), token: z.string() })),
  aggregates: z.array(
    z.object({
      receipt: UsageReceiptSchema,
      terms: z.object({
        model: z.string().nullable(),
        token: z.string().nullable(),
        ratePerUnit: DEC.nullable(),
        revenueBps: z.number().int().nullable(),
        weightBps: z.number().int().nullable(),
      }),
    }),
  ),
});
export type DatasetUsage = z.infer<typeof DatasetUsageSchema>;

export type EarningsPart = {
  datasetId: string;
  licenseId: string;
  model: string;
  units: string;
  /** The creator's exact entitlement from this aggregate, in base units (decimal, 8 places); an interval. */
  min: string;
  max: string;
};
export type TokenEarnings = {
  token: Address;
  /** leaf(N) − leaf(N−1) for (account, token). */
  got: string;
  /** Exact entitlement from usage, base units with 8 decimals: got must be within the rounding bound of it. */
  expectedMin: string;
  expectedMax: string;
  /** The rounding rule's bound on |got − expected| (see the module comment): 1 to 3 base units, strict. */
  bound: number;
  status: "match" | "mismatch" | "partial";
  /** Licenses whose recognition this check cannot reproduce (status partial: got ≥ the usage part only). */
  notCheckable: { datasetId: string; licenseId: string; model: string }[];
  parts: EarningsPart[];
};
export type EarningsMismatch = {
  /** The aggregate that explains the token's expectation when there is only one, else null (see `parts`). */
  datasetId: string | null;
  licenseId: string | null;
  token: string;
  expected: string;
  got: string;
  reason: string;
};
export type EarningsVerification = {
  account: Address;
  epoch: number;
  previousEpoch: number | null;
  /** The files against the chain: null when not checked (--no-chain). */
  fileAnchored: boolean | null;
  receiptsVerified: number;
  tokens: TokenEarnings[];
  mismatch?: EarningsMismatch;
  ok: boolean;
};

const BPS = 10_000n;

/** `x / 10⁸` as a decimal string with 8 places. */
function exactString(x: bigint): string {
  const neg = x < 0n;
  const a = neg ? -x : x;
  return `${neg ? "-" : ""}${a / EXACT_SCALE}.${(a % EXACT_SCALE).toString().padStart(8, "0")}`;
}

function cumulativeOf(d: Awaited<ReturnType<typeof readDistributionFile>>["distribution"], account: string) {
  const out = new Map<string, bigint>();
  for (let i = 0; i < d.leafCount; i++)
    if (d.leaves.accounts[i].toLowerCase() === account) out.set(d.leaves.tokens[i].toLowerCase(), d.leaves.amounts[i]);
  return out;
}

function readUsage(file: string): DatasetUsage {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    throw new CliError("CLI_ARGUMENT_INVALID", `${file}: not JSON`);
  }
  const parsed = DatasetUsageSchema.safeParse(json);
  if (!parsed.success)
    throw new CliError(
      "CLI_ARGUMENT_INVALID",
      `${file}: not a dataset usage response: ${parsed.error.issues[0]?.path.join(".")} ${parsed.error.issues[0]?.message}`,
    );
  return parsed.data;
}

/**
 * @param ctx  the chain context to anchor both files, or null to skip that check (the files are then only checked
 *             against the content hash each response names)
 */
export async function verifyEarnings(
  ctx: Context | null,
  account: Address,
  usageFiles: readonly string[],
  file: string,
  previousFile?: string,
): Promise<EarningsVerification> {
  const me = account.toLowerCase();
  // The reader's stream reports a missing file as an uncaught stream error: stat first so it throws here.
  for (const f of [file, ...(previousFile ? [previousFile] : [])]) fs.statSync(f);
  const current = await readDistributionFile(file);
  const epoch = Number(current.header.epoch);
  const previous = previousFile ? await readDistributionFile(previousFile) : undefined;
  const previousEpoch = previous ? Number(previous.header.epoch) : null;
  if (previousEpoch !== null && previousEpoch >= epoch)
    throw new CliError("CLI_ARGUMENT_INVALID", `--previous is epoch ${previousEpoch}, not one before ${epoch}`);
  let fileAnchored: boolean | null = null;
  if (ctx) {
    fileAnchored = (await verifyDistributionFile(ctx, file)).ok;
    if (previousFile) fileAnchored &&= (await verifyDistributionFile(ctx, previousFile)).ok;
  }
  const base = { account: me as Address, epoch, previousEpoch, fileAnchored };
  const fail = (mismatch: EarningsMismatch, tokens: TokenEarnings[] = [], receiptsVerified = 0) => ({
    ...base,
    receiptsVerified,
    tokens,
    mismatch,
    ok: false,
  });
  const usageRoot = current.header.usageRoot as Hex | undefined;
  if (!usageRoot) return fail(none("the file's header has no usageRoot (closed before usage commitments)"));

  // 1. Receipts: each response is of this epoch, this file, this account; each aggregate verifies.
  const responses = usageFiles.map(readUsage);
  let receiptsVerified = 0;
  for (const r of responses) {
    const at = (reason: string, licenseId: string | null = null): EarningsMismatch => ({
      ...none(reason),
      datasetId: r.datasetId,
      licenseId,
    });
    if (r.epoch !== epoch) return fail(at(`the usage response is of epoch ${r.epoch}, the file of ${epoch}`));
    if (r.contentHash.toLowerCase() !== current.contentHash.toLowerCase())
      return fail(
        at(`the usage response names content hash ${r.contentHash}, the file hashes to ${current.contentHash}`),
      );
    if (r.account.toLowerCase() !== me) return fail(at(`the usage response is for account ${r.account}`));
    for (const a of r.aggregates) {
      const rec = a.receipt.record;
      if (rec.datasetId !== r.datasetId.toLowerCase())
        return fail(at(`the receipt is of dataset ${rec.datasetId}`, rec.licenseId));
      if (a.receipt.epoch !== epoch) return fail(at(`the receipt is of epoch ${a.receipt.epoch}`, rec.licenseId));
      const v = verifyUsageReceipt(a.receipt, usageRoot);
      if (!v.ok) return fail(at(`the receipt does not verify: ${v.reason}`, rec.licenseId));
      receiptsVerified++;
    }
  }

  // 2. Expected per token, exact × 10⁸, as an interval [lo, hi].
  type Acc = { lo: bigint; hi: bigint; parts: EarningsPart[]; notCheckable: TokenEarnings["notCheckable"] };
  const byToken = new Map<string, Acc>();
  const accOf = (token: string) => {
    let a = byToken.get(token);
    if (!a) byToken.set(token, (a = { lo: 0n, hi: 0n, parts: [], notCheckable: [] }));
    return a;
  };
  let shareChanged = false;
  for (const r of responses) {
    const bps = r.sharePeriods.map((p) => BigInt(p.bps));
    const minBps = bps.reduce((x, y) => (y < x ? y : x));
    const maxBps = bps.reduce((x, y) => (y > x ? y : x));
    const periods = BigInt(r.sharePeriods.length);
    if (periods > 1n) shareChanged = true;
    const net = BPS - BigInt(r.platformFeeBps);
    for (const l of r.otherLicenses)
      accOf(l.token.toLowerCase()).notCheckable.push({
        datasetId: r.datasetId,
        licenseId: l.licenseId,
        model: l.model,
      });
    for (const a of r.aggregates) {
      const rec = a.receipt.record;
      const t = a.terms;
      const units = BigInt(rec.units);
      let dueLo: bigint;
      let dueHi: bigint;
      if (t.model === "per_use" && t.ratePerUnit !== null) dueLo = dueHi = BigInt(t.ratePerUnit) * units;
      else if (t.model === "revenue_share" && t.revenueBps !== null) {
        dueHi = (units * BigInt(t.revenueBps)) / BPS;
        // Σ of per-period floors: at most (periods − 1) below the floor of the sum.
        dueLo = dueHi > periods - 1n ? dueHi - (periods - 1n) : 0n;
      } else
        return fail(
          {
            ...none(`terms of model ${t.model ?? "(none)"} give no usage price`),
            datasetId: r.datasetId,
            licenseId: rec.licenseId,
          },
          [],
          receiptsVerified,
        );
      if (!t.token)
        return fail(
          { ...none("the terms name no token"), datasetId: r.datasetId, licenseId: rec.licenseId },
          [],
          receiptsVerified,
        );
      const lo = dueLo * net * minBps;
      const hi = dueHi * net * maxBps;
      const acc = accOf(t.token.toLowerCase());
      acc.lo += lo;
      acc.hi += hi;
      acc.parts.push({
        datasetId: r.datasetId,
        licenseId: rec.licenseId,
        model: t.model,
        units: rec.units,
        min: exactString(lo),
        max: exactString(hi),
      });
    }
  }

  // 3. Compare with the leaves: every token of the account in either file, or named by a response.
  const now = cumulativeOf(current.distribution, me);
  const before = previous ? cumulativeOf(previous.distribution, me) : new Map<string, bigint>();
  for (const t of [...now.keys(), ...before.keys()]) accOf(t);
  const bound = (previous ? 1n : 0n) + (shareChanged ? 2n : 1n);
  const tokens: TokenEarnings[] = [];
  let mismatch: EarningsMismatch | undefined;
  for (const token of [...byToken.keys()].sort()) {
    const acc = byToken.get(token)!;
    const got = (now.get(token) ?? 0n) - (before.get(token) ?? 0n);
    const g = got * EXACT_SCALE;
    const aboveLow = g > acc.lo - bound * EXACT_SCALE;
    const belowHigh = g < acc.hi + bound * EXACT_SCALE;
    const partial = acc.notCheckable.length > 0;
    const status = aboveLow && (partial || belowHigh) ? (partial ? "partial" : "match") : "mismatch";
    const entry: TokenEarnings = {
      token: token as Address,
      got: got.toString(),
      expectedMin: exactString(acc.lo),
      expectedMax: exactString(acc.hi),
      bound: Number(bound),
      status,
      notCheckable: acc.notCheckable,
      parts: acc.parts,
    };
    tokens.push(entry);
    if (status === "mismatch" && !mismatch) {
      const only = acc.parts.length === 1 ? acc.parts[0] : undefined;
      mismatch = {
        datasetId: only?.datasetId ?? null,
        licenseId: only?.licenseId ?? null,
        token,
        expected:
          entry.expectedMin === entry.expectedMax ? entry.expectedMin : `${entry.expectedMin} … ${entry.expectedMax}`,
        got: entry.got,
        reason: aboveLow
          ? `the leaf grew by more than the usage explains (±${bound} for rounding)`
          : `the leaf grew by less than the usage explains (±${bound} for rounding; or the license's escrow fell short)`,
      };
    }
  }
  return {
    ...base,
    receiptsVerified,
    tokens,
    ...(mismatch ? { mismatch } : {}),
    ok: mismatch === undefined && fileAnchored !== false,
  };
}

function none(reason: string): EarningsMismatch {
  return { datasetId: null, licenseId: null, token: "", expected: "", got: "", reason };
}
