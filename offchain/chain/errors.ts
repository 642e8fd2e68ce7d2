/**
 * Typed failures of the chain modules and the decoding of RoyaltySplitter's custom errors.
 *
 * A root the contract rejects for what it is (insolvent, a total below the claimable one, an epoch not above the
 * last, unsorted totals, a missing role) fails the same way every time: it is `permanent`. A pause or an RPC
 * failure may pass: it is retried on the next pass.
 */
import { BaseError, ContractFunctionRevertedError } from "viem";
import { TributaryError } from "../common/errors";

export type DecodedRevert = { errorName: string; args: readonly unknown[] };

/** Splitter errors that no retry of the same root can fix. */
export const PERMANENT_ROOT_ERRORS = new Set([
  "RoyaltySplitterInsolventRoot",
  "RoyaltySplitterTotalDecreased",
  "RoyaltySplitterEpochNotIncreasing",
  "RoyaltySplitterTotalsNotSorted",
  "RoyaltySplitterZeroRoot",
  "RoyaltySplitterAmountTooLarge",
  "AccessControlUnauthorizedAccount",
]);

/** Chain failures share the project's one error base, so callers read `code` and `retryable` the same way. */
export class ChainError extends TributaryError {
  override readonly name: string = "ChainError";
}

/** The splitter custom error inside a viem error, if the failure was a decoded revert. */
export function decodeRevert(err: unknown): DecodedRevert | undefined {
  if (!(err instanceof BaseError)) return undefined;
  const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError) || !reverted.data) return undefined;
  return { errorName: reverted.data.errorName, args: reverted.data.args ?? [] };
}

/** `Name(arg, …)` with bigints printed in full, for logs and the publication's failure message. */
export function formatRevert(r: DecodedRevert): string {
  return `${r.errorName}(${r.args.map((a) => (typeof a === "bigint" ? a.toString() : String(a))).join(", ")})`;
}
