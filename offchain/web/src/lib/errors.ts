/**
 * The pages' failures on the project's one error base (offchain/common/errors.ts has no Node-only imports, so the
 * bundle can carry it). Every one ends up as a sentence in a status line; the code says which kind it was.
 */
import { TributaryError, type TributaryErrorOptions } from "../../../common/errors";

export type WebErrorCode =
  /** Neither WEB_RPC_URL nor a wallet gives the page a way to read the chain. */
  | "WEB_CHAIN_UNREACHABLE"
  /** A value typed into a form is not what the check needs. */
  | "WEB_INPUT_INVALID"
  /** The page's HTML lacks an element its script uses (a build mistake, never user input). */
  | "WEB_ELEMENT_MISSING"
  /** No EIP-1193 wallet, or it gave no account. */
  | "WEB_WALLET_MISSING"
  /** The wallet is on another chain than the service. */
  | "WEB_WRONG_NETWORK"
  /** The API answered a problem document. */
  | "WEB_API_PROBLEM";

export class WebError extends TributaryError {
  override readonly name: string = "WebError";
  declare readonly code: WebErrorCode;
  constructor(code: WebErrorCode, message: string, options: TributaryErrorOptions = {}) {
    super(code, message, options);
  }
}
