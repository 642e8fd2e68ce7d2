/**
 * The epoch driver: (previous state, this epoch's inputs) → allocations, totals, next state, report.
 *
 * Split chain (every stage conserves its total exactly; see split.ts for the rounding rule):
 *   1. license revenue → per licensed dataset (recognize/): bundle weights, or per-dataset usage,
 *      drawn from escrow pro rata when deposits fall short;
 *   2. Σ per (dataset, token) = pool → platform fee (floor) + contributors by bps (largest remainder);
 *   3. Σ per (account, token), added to the previous cumulative.
 * Hence Σ this epoch's amounts = Σ recognized, per token, exactly.
 */
import type { Address, Hex } from "viem";
import type {
  AccountAllocation,
  CumulativeAllocation,
  LicenseModelKind,
  LicenseState,
  SettlementInput,
  SettlementResult,
  TokenTotal,
} from "./types";
import { prepareEpoch, type PreparedDataset } from "./validate";
import { ingestFacts } from "./ingest";
import { recognizeLicense } from "./recognize";
import { recipientParts, splitPool } from "./pools";
import { ReportBuilder } from "./report";
import { compareHex } from "./normalize";
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
    perDataset: { datasetId: Hex; weight: bigint; amount: bigint }[];
  }[];
  /** Stage 2, ascending (dataset id, token); `shares` ascending account. */
  pools: {
    datasetId: Hex;
    token: Address;
    gross: bigint;
    fee: bigint;
    shares: { account: Address; bps: bigint; amount: bigint }[];
  }[];
}

export interface AllocateOptions {
  /** Also return the {@link AllocationTrace} (costs memory; meant for audits and tests). */
  trace?: boolean;
}

/** Every account that may appear in the output, ascending, with its index. */
function indexAccounts(
  input: SettlementInput,
  datasets: readonly PreparedDataset[],
): { accounts: Address[]; accountIndex: Map<Address, number> } {
  const set = new Set<Address>();
  for (const d of datasets) for (const r of d.recipients) set.add(r.account);
  set.add(input.platformFee.treasury);
  for (const c of input.previous?.cumulative ?? []) set.add(c.account);
  const accounts = [...set].sort(compareHex);
  return { accounts, accountIndex: new Map(accounts.map((a, i) => [a, i] as const)) };
}

/**
 * Settle one epoch. Pure and deterministic: the output depends on the input's content only, never on
 * the order of its lists.
 * @param input  normalised input (parse raw rows with `SettlementInputSchema` first)
 * @returns      allocations in ascending (account, token), totals and report tokens ascending,
 *               next state (licenses ascending id)
 * @throws SettlementError (all non-retryable) for invalid input, overlapping exclusivity, a previous
 *         state that does not chain, or a broken internal invariant
 */
export function allocate(
  input: SettlementInput,
  options: AllocateOptions = {},
): SettlementResult & { trace?: AllocationTrace } {
  const trace: AllocationTrace | undefined = options.trace ? { licenses: [], pools: [] } : undefined;
  const epoch = prepareEpoch(input);
  const rejected = ingestFacts(epoch);
  const { datasets, tokens, tokenIndex, licenses } = epoch;
  const nTokens = tokens.length;
  const report = new ReportBuilder(tokens);

  // Stage 1: licenses → gross per (dataset, token).
  const gross = new Array<bigint>(datasets.length * nTokens).fill(0n);
  const recognizedPerToken = new Array<bigint>(nTokens).fill(0n);
  const states: LicenseState[] = [];
  for (const pl of licenses) {
    const rec = recognizeLicense(pl, input.window);
    for (let i = 0; i < pl.bundle.length; i++) {
      if (rec.perDataset[i] !== 0n) gross[pl.bundleDatasets[i] * nTokens + pl.tokenIndex] += rec.perDataset[i];
    }
    recognizedPerToken[pl.tokenIndex] += rec.total;
    report.addLicense(pl.tokenIndex, pl.license.model.kind, pl.newDeposits, rec.total, rec.owedTotal, rec.state);
    states.push(rec.state);
    trace?.licenses.push({
      licenseId: pl.license.id,
      token: pl.license.token,
      kind: pl.license.model.kind,
      total: rec.total,
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

  // Stage 2: pools → treasury + contributors, accumulated per (token, account).
  const { accounts, accountIndex } = indexAccounts(input, datasets);
  const nAccounts = accounts.length;
  const amounts = tokens.map(() => new Array<bigint>(nAccounts).fill(0n));
  const feeBps = BigInt(input.platformFee.bps);
  const treasury = accountIndex.get(input.platformFee.treasury)!;
  for (let d = 0; d < datasets.length; d++) {
    let parts: ReturnType<typeof recipientParts> | undefined;
    let recipientIdx: number[] | undefined;
    for (let t = 0; t < nTokens; t++) {
      const g = gross[d * nTokens + t];
      if (g === 0n) continue;
      parts ??= recipientParts(datasets[d]);
      recipientIdx ??= datasets[d].recipients.map((r) => accountIndex.get(r.account)!);
      const { fee, shares } = splitPool(g, feeBps, parts);
      const row = amounts[t];
      row[treasury] += fee;
      report.addFee(t, fee);
      for (let i = 0; i < shares.length; i++) row[recipientIdx[i]] += shares[i];
      trace?.pools.push({
        datasetId: datasets[d].id,
        token: tokens[t],
        gross: g,
        fee,
        shares: datasets[d].recipients.map((r, i) => ({ account: r.account, bps: r.bps, amount: shares[i] })),
      });
    }
  }

  // Stage 3: merge with the previous cumulative; keep every previous (account, token).
  const previousCum = tokens.map(() => new Array<bigint | undefined>(nAccounts).fill(undefined));
  for (const c of input.previous?.cumulative ?? []) {
    const row = previousCum[tokenIndex.get(c.token)!];
    const a = accountIndex.get(c.account)!;
    if (row[a] !== undefined) throw invalidInput(`previous cumulative lists (${c.account}, ${c.token}) twice`);
    row[a] = c.amount;
  }
  const allocations: AccountAllocation[] = [];
  const totals: TokenTotal[] = tokens.map((token) => ({ token, amount: 0n, cumulative: 0n }));
  for (let a = 0; a < nAccounts; a++) {
    for (let t = 0; t < nTokens; t++) {
      const amount = amounts[t][a];
      const before = previousCum[t][a];
      if (amount === 0n && before === undefined) continue;
      const cumulative = (before ?? 0n) + amount;
      allocations.push({ account: accounts[a], token: tokens[t], amount, cumulative });
      totals[t].amount += amount;
      totals[t].cumulative += cumulative;
    }
  }
  for (let t = 0; t < nTokens; t++) {
    invariant(
      totals[t].amount === recognizedPerToken[t],
      `token ${tokens[t]}: allocated ${totals[t].amount} ≠ recognized ${recognizedPerToken[t]}`,
    );
  }

  const cumulative: CumulativeAllocation[] = allocations.map(({ account, token, cumulative }) => ({
    account,
    token,
    amount: cumulative,
  }));
  const licenseStates = [...states, ...epoch.carriedStates].sort((a, b) => compareHex(a.licenseId, b.licenseId));
  return {
    window: input.window,
    allocations,
    totals,
    state: { epoch: input.window.epoch, epochEnd: input.window.end, cumulative, licenses: licenseStates },
    report: report.build(input, allocations.length, rejected),
    ...(trace ? { trace } : {}),
  };
}
