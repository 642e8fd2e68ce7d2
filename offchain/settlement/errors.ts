/**
 * Typed failures of the settlement engine. All are non-retryable: they describe the input, and the
 * same input fails the same way (the engine is pure).
 */
import type { Hex } from "viem";
import { TributaryError } from "../common/errors";

export type SettlementErrorCode =
  /** Structurally or referentially invalid input (sums, duplicates, unknown references, non-canonical form). */
  | "SETTLEMENT_INVALID_INPUT"
  /** Two licenses hold overlapping exclusive windows on the same dataset and scope. */
  | "SETTLEMENT_EXCLUSIVITY_OVERLAP"
  /** The previous state does not chain to this epoch, or contradicts the licenses. */
  | "SETTLEMENT_STATE_MISMATCH"
  /** An internal invariant failed (a bug, never bad input): nothing must be published. */
  | "SETTLEMENT_INVARIANT_BROKEN";

export class SettlementError extends TributaryError {
  override readonly name: string = "SettlementError";
  declare readonly code: SettlementErrorCode;

  constructor(code: SettlementErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { cause: options.cause, kind: "permanent" });
  }
}

/** Refusal of overlapping exclusivity; names both licenses (ascending ids), the dataset and the scope. */
export class ExclusivityOverlapError extends SettlementError {
  override readonly name: string = "ExclusivityOverlapError";

  constructor(
    readonly licenseA: Hex,
    readonly licenseB: Hex,
    readonly datasetId: Hex,
    readonly scope: string,
  ) {
    super(
      "SETTLEMENT_EXCLUSIVITY_OVERLAP",
      `licenses ${licenseA} and ${licenseB} hold overlapping exclusive windows on dataset ${datasetId}, scope "${scope}"`,
    );
  }
}

export function invalidInput(message: string): SettlementError {
  return new SettlementError("SETTLEMENT_INVALID_INPUT", message);
}

export function invariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new SettlementError("SETTLEMENT_INVARIANT_BROKEN", message);
}
