/**
 * Typed failures of the epochs stage. Both are permanent: the same close, asked again unchanged, fails the same way.
 * "Nothing to settle yet" is not here: it is a result of `closeEpoch` (`{ status: "empty" }`), not a failure.
 */
import { TributaryError } from "../common/errors";

export type EpochErrorCode =
  | "EPOCH_ENDS_IN_FUTURE"
  | "EPOCH_WINDOW_EMPTY"
  | "EPOCH_NOT_FOUND"
  | "EPOCH_FILE_MISMATCH"
  | "EPOCH_USAGE_COMMITMENT_MISMATCH";

export class EpochError extends TributaryError {
  override readonly name: string = "EpochError";
  declare readonly code: EpochErrorCode;

  constructor(code: EpochErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { cause: options.cause, kind: "permanent" });
  }
}

/** Thrown when asked to close an epoch whose end is later than now: its usage is not all in yet. */
export class EpochEndsInFutureError extends EpochError {
  override readonly name = "EpochEndsInFutureError";
  constructor(readonly endsAt: Date) {
    super("EPOCH_ENDS_IN_FUTURE", `an epoch cannot end in the future (${endsAt.toISOString()})`);
  }
}

/** Thrown when the asked end is at or before the end of the last closed epoch (where the next one starts). */
export class EpochWindowEmptyError extends EpochError {
  override readonly name = "EpochWindowEmptyError";
  constructor(
    readonly epoch: number,
    readonly startsAt: Date,
    readonly endsAt: Date,
  ) {
    super("EPOCH_WINDOW_EMPTY", `epoch ${epoch} would end at or before its start ${startsAt.toISOString()}`);
  }
}

/** Thrown when a stored epoch (and its distribution file) is asked for but does not exist. */
export class EpochNotFoundError extends EpochError {
  override readonly name = "EpochNotFoundError";
  constructor(readonly epoch: number) {
    super("EPOCH_NOT_FOUND", `epoch ${epoch} not found`);
  }
}

/** Thrown when an epoch's file does not hash to the content hash its row (and its on-chain proposal) names. */
export class EpochFileMismatchError extends EpochError {
  override readonly name = "EpochFileMismatchError";
  constructor(
    readonly epoch: number,
    readonly expected: string,
    readonly actual: string,
  ) {
    super("EPOCH_FILE_MISMATCH", `epoch ${epoch}'s distribution file hashes to ${actual}, not ${expected}`);
  }
}

/** Thrown when an epoch's usage rows no longer rebuild the usage root it published (they changed after its close). */
export class EpochUsageCommitmentMismatchError extends EpochError {
  override readonly name = "EpochUsageCommitmentMismatchError";
  constructor(readonly epoch: number) {
    super("EPOCH_USAGE_COMMITMENT_MISMATCH", `epoch ${epoch}'s usage rows no longer rebuild its published usage root`);
  }
}
