/**
 * Typed failures of the command-line tool, on the project's one error base. The binary prints
 * `error: <message> (<code>[, retryable])` — a failed check has printed its own output and prints nothing more — and
 * exits with the status its code and kind give ({@link exitStatusOf}), so a script can tell a failed check from a
 * usage mistake, a node that is down (worth retrying) and a refusal (not worth retrying).
 */
import { errorKind, isTributaryError, TributaryError, type TributaryErrorOptions } from "../common/errors";
import type { MerkleErrorCode } from "../merkle/errors";

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

/** The CLI's exit statuses (README, "Command line"). */
export const EXIT_STATUS = {
  ok: 0,
  /** A verification ran and failed: a root, file, proof, receipt or allocation does not check out. */
  checkFailed: 1,
  /** The command line cannot be run as given: unknown option, missing argument, bad value, missing setting. */
  usage: 2,
  /** A failure that may pass when run again unchanged: the API's 5xx or 429, an RPC or network failure. */
  retryable: 3,
  /** Any other failure: the API refused (4xx), a transaction reverted, an RPC error answer. */
  failed: 4,
} as const;

const USAGE_CODES: ReadonlySet<string> = new Set<CliErrorCode>(["CLI_ARGUMENT_INVALID", "CLI_CONFIG_MISSING"]);
// A distribution file or proof the Merkle reader refuses (a leaf or total changed, a malformed line) did not check
// out: the same status as a rebuilt root that differs. The worker's failure is the machine's, not the file's.
const CHECK_CODES: ReadonlySet<string> = new Set<string>([
  "CLI_CHECK_FAILED",
  "CLI_FILE_MISMATCH",
  "MERKLE_EMPTY_TREE",
  "MERKLE_INVALID_LEAF",
  "MERKLE_DUPLICATE_LEAF",
  "MERKLE_LEAF_INDEX_OUT_OF_RANGE",
  "MERKLE_DISTRIBUTION_META_INVALID",
  "MERKLE_DISTRIBUTION_FILE_INVALID",
] satisfies (CliErrorCode | MerkleErrorCode)[]);

/** A file named on the command line that cannot be read: a usage mistake, not worth retrying. */
const FILE_ERRNO: ReadonlySet<string> = new Set(["ENOENT", "EISDIR", "ENOTDIR", "EACCES"]);

/**
 * The exit status of a command that threw `err`. An error outside the project's hierarchy (a driver's, a network
 * library's: `fetch failed`, a viem transport error) counts as retryable, the rule every loop of the project
 * applies (`errorKind`), except a file the command line names that cannot be read.
 */
export function exitStatusOf(err: unknown): number {
  if (isTributaryError(err)) {
    if (CHECK_CODES.has(err.code)) return EXIT_STATUS.checkFailed;
    if (USAGE_CODES.has(err.code)) return EXIT_STATUS.usage;
  } else if (FILE_ERRNO.has((err as { code?: unknown } | null)?.code as string)) return EXIT_STATUS.usage;
  return errorKind(err) === "retryable" ? EXIT_STATUS.retryable : EXIT_STATUS.failed;
}

/** The line printed for `err` on stderr (nothing for a failed check, whose output said why). */
export function errorLine(err: unknown): string | null {
  if (err instanceof CheckFailed) return null;
  const message = err instanceof Error ? err.message : String(err);
  if (!isTributaryError(err)) return `error: ${message}`;
  return `error: ${message} (${err.code}${err.retryable ? ", retryable" : ""})`;
}
