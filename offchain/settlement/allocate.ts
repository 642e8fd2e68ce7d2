/**
 * The epoch driver: (previous state, this epoch's inputs) → allocations, totals, next state, report.
 *
 * Split chain (every stage conserves its total exactly):
 *   1. license revenue → per licensed dataset and share period (recognize/): bundle weights, or
 *      per-dataset usage, drawn from escrow pro rata when deposits fall short; refunds (lifecycle.ts,
 *      held.ts) go to payers;
 *   2. Σ per (dataset, share period, token) = pool → exact entitlements: the treasury gets
 *      gross · feeBps / 10⁴, each contributor gross · (10⁴ − feeBps) · bps / 10⁸, kept as integers
 *      × 10⁸ (no rounding here);
 *   3. per (account, token): exact entitlement to date → cumulative allocation, rounded once on the
 *      cumulative (round.ts).
 * Hence Σ this epoch's amounts = Σ recognized + Σ refunded, per token, exactly, and per token
 * deposited = recognized + refunded + escrow + held to date (checked every epoch).
 */
import type { Address, Hex } from "viem";
import {
  EXACT_SCALE,
  type AccountAllocation,
  type CumulativeAllocation,
  type LedgerEntry,
  type LicenseModelKind,
  type LicenseState,
  type SettlementInput,
  type SettlementResult,
  type TokenTotal,
} from "./types";
import { prepareEpoch, segmentAt, type PreparedDataset } from "./validate";
import { ingestFacts } from "./ingest";
import { recognizeLicense } from "./recognize";
import { settleHeld } from "./held";
import { roundCumulative } from "./round";
import { ReportBuilder } from "./report";
import { compareHex, isCanonicalAddress } from "./normalize";
import { invalidInput, invariant } from "./errors";

/**
 * The intermediate amounts of both split stages, for audits and tests. Holds per-license figures:
 * private, never to be logged or published.
 */
export interface AllocationTrace {
  /** Stage 1, ascending license id; `perDataset` in bundle order (ascending dataset id). */
  licenses: {
    licenseId: Hex;
    token: Address;
    kind: LicenseModelKind;
    total: bigint;
    refund: bigint;
    perDataset: { datasetId: Hex; weight: bigint; amount: bigint }[];
  }[];
  /** Every refund leaf increment of the epoch (license refunds, then held deposits), unsorted. */
  refunds: { account: Address; token: Address; amount: bigint }[];
  /** Stage 2, ascending (dataset id, share period, token); `shares` ascending account; exact values × 10⁸. */
  pools: {
    datasetId: Hex;
    segment: number;
    token: Address;
    gross: bigint;
    feeExact: bigint;
    shares: { account: Address; bps: bigint; exact: bigint }[];
  }[];
}

export interface AllocateOptions {
  /** Also return the {@link AllocationTrace} (costs memory; meant for audits and tests). */
  trace?: boolean;
}

const BPS = 10_000n;

/**
 * Settle one epoch. Pure and deterministic: the output depends on the input's content only, never on
 * the order of its lists.
 * @param input  normalised input (parse raw rows with `SettlementInputSchema` first)
 * @returns      allocations in ascending (account, token), totals and report tokens ascending,
 *               next state (licenses ascending id), the datasets and licenses skipped (private)
 * @throws SettlementError (all non-retryable) for invalid input, overlapping exclusivity, a previous
 *         state that does not chain, or a broken internal invariant. A dataset whose shares cannot be
 *         settled does not throw: it is skipped and reported, and everyone else is paid.
 */
export function allocate(
  input: SettlementInput,
  options: AllocateOptions = {},
): SettlementResult & { trace?: AllocationTrace } {
  const trace: AllocationTrace | undefined = options.trace ? { licenses: [], refunds: [], pools: [] } : undefined;
  const epoch = prepareEpoch(input);
  const { rejected, held: newHeld, credits } = ingestFacts(epoch);
  const { datasets, tokens, tokenIndex, licenses, forbidden } = epoch;
  const nTokens = tokens.length;
  const report = new ReportBuilder(tokens);
  const payerValid = (p: Address | undefined): p is Address =>
    p !== undefined && isCanonicalAddress(p) && !forbidden.has(p);

  // Held deposits first: one whose license appeared this epoch is that license's deposit.
  const heldOutcome = settleHeld(epoch, [...(input.previous?.held ?? []), ...newHeld], payerValid);
  const refunds: { account: Address; tokenIndex: number; amount: bigint }[] = [];
  for (const r of heldOutcome.refunds)
    refunds.push({ account: r.payer, tokenIndex: tokenIndex.get(r.token)!, amount: r.amount });

  // Stage 1: licenses → gross per (dataset share period, token).
  const gross = new Array<bigint>(epoch.segmentCount * nTokens).fill(0n);
  const recognizedPerToken = new Array<bigint>(nTokens).fill(0n);
  const states: LicenseState[] = [];
  for (let li = 0; li < licenses.length; li++) {
    const pl = licenses[li];
    const rec = recognizeLicense(pl, epoch, credits.get(li), payerValid(pl.license.payer));
    const t = pl.tokenIndex;
    if (rec.total !== 0n) {
      for (let i = 0; i < pl.bundle.length; i++) {
        const d = datasets[pl.bundleDatasets[i]];
        const pieces = rec.segmented?.[i];
        if (pieces) for (const p of pieces) gross[(d.segmentBase + p.seg) * nTokens + t] += p.amount;
        else if (rec.perDataset[i] !== 0n)
          gross[(d.segmentBase + segmentAt(d, input.window.start)) * nTokens + t] += rec.perDataset[i];
      }
    }
    if (rec.refund > 0n) refunds.push({ account: pl.license.payer!, tokenIndex: t, amount: rec.refund });
    if (rec.unrefundable > 0n) report.addUnrefundable(t, rec.unrefundable);
    recognizedPerToken[t] += rec.total;
    report.addLicense(t, pl.license.model.kind, pl.newDeposits, rec.total, rec.owedTotal, rec.state);
    states.push(rec.state);
    trace?.licenses.push({
      licenseId: pl.license.id,
      token: pl.license.token,
      kind: pl.license.model.kind,
      total: rec.total,
      refund: rec.refund,
      perDataset: pl.bundle
        .map((b, i) => ({ datasetId: b.datasetId, weight: BigInt(b.weight), amount: rec.perDataset[i] }))
        .sort((a, b) => compareHex(a.datasetId, b.datasetId)),
    });
  }
  for (const s of epoch.carriedStates) {
    let owed = 0n;
    for (const o of s.owed) owed += o.amount;
    report.addCarried(tokenIndex.get(s.token)!, owed, s);
  }
  const refundedPerToken = new Array<bigint>(nTokens).fill(0n);
  for (const r of refunds) {
    trace?.refunds.push({ account: r.account, token: tokens[r.tokenIndex], amount: r.amount });
    refundedPerToken[r.tokenIndex] += r.amount;
    report.addRefund(r.tokenIndex, r.amount);
  }
  for (const h of heldOutcome.held) report.addHeld(tokenIndex.get(h.token)!, h.amount);

  // Accounts: every recipient of every share period, the treasury, refund payers, every previous leaf.
  const { accounts, accountIndex } = indexAccounts(input, datasets, refunds);
  const nAccounts = accounts.length;

  // Stage 2: pools → exact entitlements per (token, account), × EXACT_SCALE.
  const delta = tokens.map(() => new Array<bigint>(nAccounts).fill(0n));
  const feeBps = BigInt(input.platformFee.bps);
  const treasury = accountIndex.get(input.platformFee.treasury)!;
  for (const d of datasets) {
    for (let seg = 0; seg < d.segments.length; seg++) {
      const recipients = d.segments[seg].recipients;
      let recipientIdx: number[] | undefined;
      for (let t = 0; t < nTokens; t++) {
        const g = gross[(d.segmentBase + seg) * nTokens + t];
        if (g === 0n) continue;
        recipientIdx ??= recipients.map((r) => accountIndex.get(r.account)!);
        const row = delta[t];
        const feeExact = g * feeBps * BPS;
        row[treasury] += feeExact;
        report.addFee(t, (g * feeBps) / BPS);
        const net = g * (BPS - feeBps);
        for (let i = 0; i < recipients.length; i++) row[recipientIdx[i]] += net * recipients[i].bps;
        trace?.pools.push({
          datasetId: d.id,
          segment: seg,
          token: tokens[t],
          gross: g,
          feeExact,
          shares: recipients.map((r) => ({ account: r.account, bps: r.bps, exact: net * r.bps })),
        });
      }
    }
  }
  for (const r of refunds) delta[r.tokenIndex][accountIndex.get(r.account)!] += r.amount * EXACT_SCALE;

  // Stage 3: exact to date → rounded cumulative; keep every previous (account, token).
  const previousCum = tokens.map(() => new Array<bigint | undefined>(nAccounts).fill(undefined));
  const previousExact = tokens.map(() => new Array<bigint>(nAccounts).fill(0n));
  for (const c of input.previous?.cumulative ?? []) {
    const t = tokenIndex.get(c.token)!;
    const a = accountIndex.get(c.account)!;
    if (previousCum[t][a] !== undefined)
      throw invalidInput(`previous cumulative lists (${c.account}, ${c.token}) twice`);
    previousCum[t][a] = c.amount;
    previousExact[t][a] = c.exact ?? c.amount * EXACT_SCALE;
  }
  const allocations: AccountAllocation[] = [];
  const exactOf = new Map<AccountAllocation, bigint>();
  const totals: TokenTotal[] = tokens.map((token) => ({ token, amount: 0n, cumulative: 0n }));
  for (let t = 0; t < nTokens; t++) {
    const idx: number[] = [];
    const before: bigint[] = [];
    const exact: bigint[] = [];
    let previousTotal = 0n;
    for (let a = 0; a < nAccounts; a++) {
      const was = previousCum[t][a];
      if (was === undefined && delta[t][a] === 0n) continue;
      idx.push(a);
      before.push(was ?? 0n);
      exact.push(previousExact[t][a] + delta[t][a]);
      previousTotal += was ?? 0n;
    }
    const total = previousTotal + recognizedPerToken[t] + refundedPerToken[t];
    let exactSum = 0n;
    for (const e of exact) exactSum += e;
    invariant(
      exactSum === total * EXACT_SCALE,
      `token ${tokens[t]}: exact entitlements ${exactSum} ≠ ${total} × scale (previous state inconsistent?)`,
    );
    const after = roundCumulative(
      before,
      exact,
      total,
      idx.map((a) => accounts[a]),
      EXACT_SCALE,
    );
    for (let k = 0; k < idx.length; k++) {
      const amount = after[k] - before[k];
      invariant(amount >= 0n, `a cumulative decreased for ${accounts[idx[k]]}`);
      const allocation = { account: accounts[idx[k]], token: tokens[t], amount, cumulative: after[k] };
      allocations.push(allocation);
      exactOf.set(allocation, exact[k]);
      totals[t].amount += amount;
      totals[t].cumulative += after[k];
    }
  }
  allocations.sort((x, y) => compareHex(x.account, y.account) || compareHex(x.token, y.token));
  for (let t = 0; t < nTokens; t++) {
    invariant(
      totals[t].amount === recognizedPerToken[t] + refundedPerToken[t],
      `token ${tokens[t]}: allocated ${totals[t].amount} ≠ recognized ${recognizedPerToken[t]} + refunded ${refundedPerToken[t]}`,
    );
  }

  const cumulative: CumulativeAllocation[] = allocations.map((a) => ({
    account: a.account,
    token: a.token,
    amount: a.cumulative,
    exact: exactOf.get(a)!,
  }));
  const licenseStates = [...states, ...epoch.carriedStates].sort((a, b) => compareHex(a.licenseId, b.licenseId));
  const ledger = nextLedger(input, tokens, licenseStates, heldOutcome.held, recognizedPerToken, refundedPerToken);
  const skipped = {
    datasets: epoch.skippedDatasets,
    licenses: [...epoch.skippedLicenses].map(([i, reason]) => ({ id: licenses[i].license.id, reason })),
  };
  return {
    window: input.window,
    allocations,
    totals,
    state: {
      epoch: input.window.epoch,
      epochEnd: input.window.end,
      cumulative,
      licenses: licenseStates,
      held: heldOutcome.held,
      ledger,
    },
    report: report.build(input, allocations.length, rejected, {
      datasets: skipped.datasets.length,
      licenses: skipped.licenses.length,
    }),
    skipped,
    ...(trace ? { trace } : {}),
  };
}

/** Every account that may appear in the output, ascending, with its index. */
function indexAccounts(
  input: SettlementInput,
  datasets: readonly PreparedDataset[],
  refunds: readonly { account: Address }[],
): { accounts: Address[]; accountIndex: Map<Address, number> } {
  const set = new Set<Address>();
  for (const d of datasets) for (const s of d.segments) for (const r of s.recipients) set.add(r.account);
  set.add(input.platformFee.treasury);
  for (const r of refunds) set.add(r.account);
  for (const c of input.previous?.cumulative ?? []) set.add(c.account);
  const accounts = [...set].sort(compareHex);
  return { accounts, accountIndex: new Map(accounts.map((a, i) => [a, i] as const)) };
}

/**
 * The per-token ledger to date, checked against the license states: deposited = recognized +
 * refunded + Σ license escrow + Σ held. A state written before the ledger existed gets one rebuilt
 * from its licenses (its rejected deposits were never counted, so it balances from there on).
 */
function nextLedger(
  input: SettlementInput,
  tokens: readonly Address[],
  licenses: readonly LicenseState[],
  held: readonly { token: Address; amount: bigint }[],
  recognized: readonly bigint[],
  refunded: readonly bigint[],
): LedgerEntry[] {
  const prev = input.previous;
  const entries = tokens.map((token) => ({ token, deposited: 0n, recognized: 0n, refunded: 0n }));
  const at = new Map(tokens.map((t, i) => [t, i] as const));
  if (prev?.ledger !== undefined) {
    for (const e of prev.ledger) {
      const i = at.get(e.token);
      invariant(i !== undefined, `ledger token ${e.token} unknown`);
      entries[i] = { token: e.token, deposited: e.deposited, recognized: e.recognized, refunded: e.refunded };
    }
  } else if (prev !== null) {
    for (const l of prev.licenses) {
      const e = entries[at.get(l.token)!];
      e.deposited += l.deposited;
      e.recognized += l.recognized;
      e.refunded += l.refunded;
    }
    for (const h of prev.held) entries[at.get(h.token)!].deposited += h.amount;
  }
  for (const d of input.deposits) entries[at.get(d.token)!].deposited += d.amount;
  const escrow = tokens.map(() => 0n);
  for (const l of licenses) escrow[at.get(l.token)!] += l.deposited - l.recognized - l.refunded;
  for (const h of held) escrow[at.get(h.token)!] += h.amount;
  for (let i = 0; i < tokens.length; i++) {
    const e = entries[i];
    e.recognized += recognized[i];
    e.refunded += refunded[i];
    invariant(
      e.deposited === e.recognized + e.refunded + escrow[i],
      `token ${e.token}: deposited ${e.deposited} ≠ recognized ${e.recognized} + refunded ${e.refunded} + escrow ${escrow[i]}`,
    );
  }
  return entries.filter((e) => e.deposited !== 0n || e.recognized !== 0n || e.refunded !== 0n);
}
