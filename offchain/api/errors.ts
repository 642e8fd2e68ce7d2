/**
 * HTTP-facing errors on the shared TributaryError base (offchain/common/errors.ts): a status, a title and the
 * failing fields, rendered by the error middleware as RFC 9457 problem documents.
 */
import { type ErrorKind, TributaryError } from "../common/errors";

/** One failing field: a JSON-pointer path into the request and what is wrong with it (batch items add their index and a code). */
export type FieldError = { path: string; message: string; index?: number; code?: string };

/**
 * An HTTP refusal. Its code names the HTTP condition (`BAD_REQUEST`, `NOT_FOUND`), without a module prefix: the
 * problem `type` is the code in kebab case (`/problems/bad-request`), part of the public API. Permanent: the same
 * request fails the same way (503s are raised with `kind: "retryable"` where they are).
 */
export class ApiError extends TributaryError {
  override readonly name = "ApiError";
  readonly status: number;
  readonly title: string;
  readonly errors?: FieldError[];
  readonly extensions?: Record<string, unknown>;

  constructor(
    status: number,
    code: string,
    title: string,
    opts: {
      detail?: string;
      errors?: FieldError[];
      extensions?: Record<string, unknown>;
      cause?: unknown;
      kind?: ErrorKind;
    } = {},
  ) {
    super(code, opts.detail ?? title, {
      cause: opts.cause,
      kind: opts.kind ?? (status === 503 ? "retryable" : "permanent"),
    });
    this.status = status;
    this.title = title;
    this.errors = opts.errors;
    this.extensions = opts.extensions;
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) =>
  new ApiError(400, "BAD_REQUEST", "Bad request", { detail, errors });
export const unauthorized = (detail = "authentication required") =>
  new ApiError(401, "UNAUTHORIZED", "Unauthorized", { detail });
export const forbidden = (detail = "this role may not do that") =>
  new ApiError(403, "FORBIDDEN", "Forbidden", { detail });
export const notFound = (what: string) => new ApiError(404, "NOT_FOUND", "Not found", { detail: `${what} not found` });
export const conflict = (detail: string, extensions?: Record<string, unknown>) =>
  new ApiError(409, "CONFLICT", "Conflict", { detail, extensions });
export const unprocessable = (detail: string, errors?: FieldError[], extensions?: Record<string, unknown>) =>
  new ApiError(422, "UNPROCESSABLE", "Unprocessable content", { detail, errors, extensions });
