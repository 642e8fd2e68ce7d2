/**
 * Typed failures of the command-line tool, on the project's one error base. The binary prints `error: <message>`
 * and exits 1 for every one of them (a failed check has printed its own output and prints nothing more); the codes
 * and kinds let a script (or a test) tell a usage mistake from a node that is down.
 */
import { TributaryError, type TributaryErrorOptions } from "../common/errors";

export type CliErrorCode =
  /** An argument or option value the command cannot use (amount not in base units, no file source). */
  | "CLI_ARGUMENT_INVALID"
  /** A setting the command needs is missing (RPC URL, signing key). */
  | "CLI_CONFIG_MISSING"
  /** The API answered an error status. */
  | "CLI_API_FAILED"
  /** The development chain's JSON-RPC answered an error. */
  | "CLI_RPC_FAILED"
  /** A distribution file is not the one the splitter's claimable root committed to. */
  | "CLI_FILE_MISMATCH"
  /** A transaction the command sent was mined and reverted. */
  | "CLI_TRANSACTION_REVERTED"
  /** A verification the command ran failed (its output says which). */
  | "CLI_CHECK_FAILED";

export class CliError extends TributaryError {
  override readonly name: string = "CliError";
  declare readonly code: CliErrorCode;
  constructor(code: CliErrorCode, message: string, options: TributaryErrorOptions = {}) {
    super(code, message, options);
  }
}

/** Thrown by a command whose check failed (exit status 1 after its output was printed). */
export class CheckFailed extends CliError {
  override readonly name = "CheckFailed";
  constructor(message: string) {
    super("CLI_CHECK_FAILED", message);
  }
}

/**
 * The API answered `status`: a server error, an overload or a rate limit may pass when tried again; a 4xx says
 * the request itself is refused.
 */
export class ApiCallError extends CliError {
  override readonly name = "ApiCallError";
  constructor(
    message: string,
    readonly status: number,
  ) {
    super("CLI_API_FAILED", message, { kind: status >= 500 || status === 429 ? "retryable" : "permanent" });
  }
}
