/**
 * Typed failures of the chain modules and the decoding of RoyaltySplitter's custom errors.
 *
 * A root the contract rejects for what it is (insolvent, a total below the claimable one, an epoch not above the
 * last, unsorted totals, a missing role) fails the same way every time: its RootRevertedError is `permanent`, and the
 * publication fails with the decoded error. A pause or a maturing root may pass: `retryable`, tried next pass.
 */
import { BaseError, ContractFunctionRevertedError, type ContractErrorName } from "viem";
import { type ErrorKind, TributaryError, type TributaryErrorOptions } from "../common/errors";
import type { royaltySplitterAbi } from "./abi";

export type DecodedRevert = { errorName: string; args: readonly unknown[] };

export type ChainErrorCode =
  | "CHAIN_CONFIG_INVALID"
  | "CHAIN_ACCOUNT_MISSING"
  | "CHAIN_ARTIFACT_MISSING"
  | "CHAIN_DEPLOYMENT_FAILED"
  | "CHAIN_PRIVATE_KEY_INVALID"
  | "CHAIN_KEYSTORE_INVALID"
  | "CHAIN_KEYSTORE_PASSWORD_MISSING"
  | "CHAIN_ROOT_REVERTED"
  | "CHAIN_DEVCHAIN_JOURNAL_VERSION"
  | "CHAIN_DEVCHAIN_REPLAY_DIVERGED"
  | "CHAIN_DEVCHAIN_METHOD_REFUSED"
  | "CHAIN_DEVCHAIN_CLOSED"
  | "CHAIN_DATABASE_BOUND_ELSEWHERE";

/** Chain failures share the project's one error base, so callers read `code` and `kind` the same way. */
export class ChainError extends TributaryError {
  override readonly name: string = "ChainError";
  declare readonly code: ChainErrorCode;
  constructor(code: ChainErrorCode, message: string, options: TributaryErrorOptions = {}) {
    super(code, message, options);
  }
}

export type SplitterErrorName = ContractErrorName<typeof royaltySplitterAbi>;

/**
 * What a splitter revert means for the same root sent again. Names are checked against the compiled ABI; an error
 * not listed (a pause, `RoyaltySplitterRootPending`, `RoyaltySplitterEpochTooFar`, which passes as time goes on) is
 * retryable: the next pass simulates again before sending.
 */
const ROOT_REVERT_KINDS: Partial<Record<SplitterErrorName, ErrorKind>> = {
  RoyaltySplitterInsolventRoot: "permanent",
  RoyaltySplitterTotalDecreased: "permanent",
  RoyaltySplitterEpochNotIncreasing: "permanent",
  RoyaltySplitterTotalsNotSorted: "permanent",
  RoyaltySplitterZeroRoot: "permanent",
  RoyaltySplitterAmountTooLarge: "permanent",
  AccessControlUnauthorizedAccount: "permanent",
};

/** `proposeRoot` reverted with a decoded splitter error; `kind` says whether the same root can ever pass. */
export class RootRevertedError extends ChainError {
  override readonly name = "RootRevertedError";
  constructor(
    readonly revert: DecodedRevert,
    options: { cause?: unknown } = {},
  ) {
    super("CHAIN_ROOT_REVERTED", `proposeRoot reverted: ${formatRevert(revert)}`, {
      cause: options.cause,
      kind: ROOT_REVERT_KINDS[revert.errorName as SplitterErrorName] ?? "retryable",
    });
  }

  /** The typed error of a failed `proposeRoot` call or simulation, if it was a decoded revert. */
  static from(err: unknown): RootRevertedError | undefined {
    const revert = decodeRevert(err);
    return revert && new RootRevertedError(revert, { cause: err });
  }
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
