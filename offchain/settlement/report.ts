/**
 * The epoch report: counts and sums per token only. It deliberately holds no license, dataset,
 * buyer or usage identifiers, so it can be logged and published.
 */
import type { Address } from "viem";
import type {
  LicenseModelKind,
  LicenseState,
  RejectionSummary,
  SettlementInput,
  SettlementReport,
  TokenReport,
} from "./types";

function emptyTokenReport(token: Address): TokenReport {
  return {
    token,
    recognized: { oneTime: 0n, subscription: 0n, perUse: 0n, revenueShare: 0n, total: 0n },
    licensesRecognized: 0,
    platformFee: 0n,
    deposited: 0n,
    carriedForward: { licenses: 0, amount: 0n },
    escrowBalance: 0n,
    refunded: 0n,
    held: 0n,
    unrefundable: 0n,
  };
}

export class ReportBuilder {
  private readonly byToken: TokenReport[];

  constructor(tokens: readonly Address[]) {
    this.byToken = tokens.map(emptyTokenReport);
  }

  /** A license (present in the input) after recognition. */
  addLicense(
    tokenIndex: number,
    kind: LicenseModelKind,
    newDeposits: bigint,
    recognized: bigint,
    owedTotal: bigint,
    state: LicenseState,
  ): void {
    const r = this.byToken[tokenIndex];
    r.deposited += newDeposits;
    if (recognized > 0n) {
      r.recognized[kind] += recognized;
      r.recognized.total += recognized;
      r.licensesRecognized += 1;
    }
    this.addCarried(tokenIndex, owedTotal, state);
  }

  /** Any license state carried to the next epoch (also those absent from the input). */
  addCarried(tokenIndex: number, owedTotal: bigint, state: LicenseState): void {
    const r = this.byToken[tokenIndex];
    if (owedTotal > 0n) {
      r.carriedForward.licenses += 1;
      r.carriedForward.amount += owedTotal;
    }
    r.escrowBalance += state.deposited - state.recognized - state.refunded;
  }

  addRefund(tokenIndex: number, amount: bigint): void {
    this.byToken[tokenIndex].refunded += amount;
  }

  addHeld(tokenIndex: number, amount: bigint): void {
    this.byToken[tokenIndex].held += amount;
  }

  addUnrefundable(tokenIndex: number, amount: bigint): void {
    this.byToken[tokenIndex].unrefundable += amount;
  }

  addFee(tokenIndex: number, fee: bigint): void {
    this.byToken[tokenIndex].platformFee += fee;
  }

  build(
    input: SettlementInput,
    leaves: number,
    rejected: RejectionSummary,
    skipped: { datasets: number; licenses: number },
  ): SettlementReport {
    return {
      epoch: input.window.epoch,
      counts: {
        datasets: input.datasets.length,
        licenses: input.licenses.length,
        deposits: input.deposits.length,
        usage: input.usage.length,
        revenue: input.revenue.length,
        leaves,
      },
      tokens: this.byToken,
      rejected,
      skipped,
    };
  }
}
