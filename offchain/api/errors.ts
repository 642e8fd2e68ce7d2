/**
 * HTTP-facing errors on the shared TributaryError base (offchain/common/errors.ts): a status, a title and the
 * failing fields, rendered by the error middleware as RFC 9457 problem documents.
 */
import { TributaryError } from "../common/errors";

/** One failing field: a JSON-pointer path into the request and what is wrong with it (batch items add their index and a code). */
export type FieldError = { path: string; message: string; index?: number; code?: string };

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
    opts: { detail?: string; errors?: FieldError[]; extensions?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(code, opts.detail ?? title, { cause: opts.cause });
    this.status = status;
    this.title = title;
    this.errors = opts.errors;
    this.extensions = opts.extensions;
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) =>
  new ApiError(400, "bad-request", "Bad request", { detail, errors });
export const unauthorized = (detail = "authentication required") =>
  new ApiError(401, "unauthorized", "Unauthorized", { detail });
export const forbidden = (detail = "this role may not do that") =>
  new ApiError(403, "forbidden", "Forbidden", { detail });
export const notFound = (what: string) => new ApiError(404, "not-found", "Not found", { detail: `${what} not found` });
export const conflict = (detail: string, extensions?: Record<string, unknown>) =>
  new ApiError(409, "conflict", "Conflict", { detail, extensions });
export const unprocessable = (detail: string, errors?: FieldError[], extensions?: Record<string, unknown>) =>
  new ApiError(422, "unprocessable", "Unprocessable content", { detail, errors, extensions });
