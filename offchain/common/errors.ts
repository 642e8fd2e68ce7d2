/**
 * The one error base of the off-chain code.
 *
 * `retryable` encodes the retry policy (Ponder's habit): a dropped connection is worth retrying,
 * invalid input is not. Callers (CLI, API error middleware) map `code` and `retryable` to exit codes
 * and problem+json responses; `cause` keeps the chain to the underlying failure.
 */
export class TributaryError extends Error {
  override readonly name: string = "TributaryError";
  /** Stable, machine-readable code, e.g. `SETTLEMENT_EXCLUSIVITY_OVERLAP`. */
  readonly code: string;
  /** True when running the same operation again may succeed without changing its input. */
  readonly retryable: boolean;

  constructor(code: string, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** Narrowing helper for catch blocks: `catch (e) { if (isTributaryError(e) && e.retryable) ... }`. */
export function isTributaryError(value: unknown): value is TributaryError {
  return value instanceof TributaryError;
}
