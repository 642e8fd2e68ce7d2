/**
 * The one error base of the off-chain code (and of the browser bundle: no Node-only imports here).
 *
 * `kind` encodes the retry policy (Ponder's habit): `retryable` means running the same operation again may succeed
 * without changing its input (a dropped connection, an RPC timeout); `permanent` means it fails the same way until
 * the input or the data changes. The loops decide retry vs alert by kind, the API error middleware maps classes to
 * problem+json responses, and `cause` keeps the chain to the underlying failure.
 *
 * Codes are stable and machine-readable, in one style: UPPER_SNAKE_CASE prefixed with the module
 * (`SETTLEMENT_EXCLUSIVITY_OVERLAP`, `MERKLE_EMPTY_TREE`, `CHAIN_RPC_UNAVAILABLE`, `EPOCH_WINDOW_EMPTY`); the HTTP
 * layer's own codes name the HTTP condition (`NOT_FOUND`). The API's problem `type` is the code in kebab case.
 */
export type ErrorKind = "retryable" | "permanent";

export type TributaryErrorOptions = { cause?: unknown; kind?: ErrorKind };

export class TributaryError extends Error {
  override readonly name: string = "TributaryError";
  /** Stable, machine-readable code, e.g. `SETTLEMENT_EXCLUSIVITY_OVERLAP`. */
  readonly code: string;
  /** Whether the same operation may succeed if run again unchanged (default `permanent`). */
  readonly kind: ErrorKind;

  constructor(code: string, message: string, options: TributaryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.kind = options.kind ?? "permanent";
  }

  /** Shorthand for `kind === "retryable"`. */
  get retryable(): boolean {
    return this.kind === "retryable";
  }
}

/** Narrowing helper for catch blocks: `catch (e) { if (isTributaryError(e) && e.retryable) ... }`. */
export function isTributaryError(value: unknown): value is TributaryError {
  return value instanceof TributaryError;
}

/**
 * How a loop treats a failed pass: a retryable failure (or an unknown one, e.g. a driver error) is tried again next
 * interval; a permanent one is reported as an alert, since repeating it unchanged cannot succeed.
 */
export function errorKind(err: unknown): ErrorKind {
  return isTributaryError(err) ? err.kind : "retryable";
}
