/**
 * The one error middleware: every failure becomes an RFC 9457 problem document (application/problem+json).
 * Client mistakes — malformed JSON, wrong types, unknown fields, oversize bodies — are 4xx, never 500.
 */
import type { ErrorRequestHandler, Response } from "express";
import { ZodError } from "zod";
import type { Logger } from "../common/logger";
import { isTributaryError, type TributaryError } from "../common/errors";
import { EpochEndsInFutureError, EpochNotFoundError, EpochWindowEmptyError } from "../epochs";
import { MerkleError } from "../merkle";
import { SettlementError } from "../settlement";
import { ApiError, type FieldError } from "./errors";

export function zodFieldErrors(err: ZodError, prefix: string): FieldError[] {
  return err.issues
    .slice(0, 100)
    .map((i) => ({ path: `${prefix}${i.path.map((p) => `/${String(p)}`).join("")}`, message: i.message }));
}

type BodyParserError = Error & { type?: string; status?: number };

function fromBodyParser(err: BodyParserError): ApiError | undefined {
  switch (err.type) {
    case "entity.parse.failed":
      return new ApiError(400, "MALFORMED_JSON", "Malformed JSON", {
        detail: "the request body is not valid JSON",
        errors: [{ path: "/", message: "unparseable JSON" }],
      });
    case "entity.too.large":
      return new ApiError(413, "TOO_LARGE", "Content too large", { detail: "the request body exceeds the limit" });
    case "encoding.unsupported":
    case "charset.unsupported":
      return new ApiError(415, "UNSUPPORTED_ENCODING", "Unsupported media type", { detail: err.message });
    default:
      if (typeof err.status === "number" && err.status >= 400 && err.status < 500) {
        return new ApiError(err.status, "BAD_REQUEST", "Bad request", { detail: err.message });
      }
      return undefined;
  }
}

/** Prisma's "unique constraint failed" is a conflict the client can act on; anything else is ours. */
function fromPrisma(err: unknown): ApiError | undefined {
  const code = (err as { code?: unknown }).code;
  if (code === "P2002")
    return new ApiError(409, "CONFLICT", "Conflict", { detail: "a record with this identity already exists" });
  return undefined;
}

/** The problem `type` of a code: `SETTLEMENT_INVALID_INPUT` → `settlement-invalid-input`. */
const typeOf = (code: string) => code.toLowerCase().replace(/_/g, "-");

type DomainMapping = {
  // biome-ignore lint/suspicious/noExplicitAny: matches any error class's constructor signature
  of: abstract new (
    ...args: any[]
  ) => TributaryError;
  status: number;
  title: string;
  errors?: FieldError[];
};

/**
 * Domain errors by class, most specific first. A class not listed falls back on its kind: permanent → 422 (the
 * request cannot succeed as the data stands), retryable → 503 (it may later).
 */
const BY_CLASS: DomainMapping[] = [
  { of: EpochNotFoundError, status: 404, title: "Not found" },
  { of: EpochWindowEmptyError, status: 409, title: "Conflict" },
  {
    of: EpochEndsInFutureError,
    status: 422,
    title: "Unprocessable content",
    errors: [{ path: "/endsAt", message: "after now" }],
  },
  { of: SettlementError, status: 422, title: "Unprocessable request" },
  { of: MerkleError, status: 422, title: "Unprocessable request" },
];

function fromDomain(err: TributaryError): ApiError {
  const m = BY_CLASS.find((c) => err instanceof c.of);
  const code = err.code;
  if (m) return new ApiError(m.status, code, m.title, { detail: err.message, errors: m.errors, cause: err });
  return err.retryable
    ? new ApiError(503, code, "Temporarily unavailable", { detail: err.message, cause: err })
    : new ApiError(422, code, "Unprocessable request", { detail: err.message, cause: err });
}

export function sendProblem(res: Response, err: ApiError, instance: string, requestId: string): void {
  res
    .status(err.status)
    .type("application/problem+json")
    .send(
      JSON.stringify({
        type: `/problems/${typeOf(err.code)}`,
        title: err.title,
        status: err.status,
        detail: err.message,
        instance,
        requestId,
        ...(err.errors ? { errors: err.errors } : {}),
        ...(err.extensions ?? {}),
      }),
    );
}

export function problemMiddleware(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const requestId = String(res.locals.requestId ?? "");
    let problem: ApiError | undefined;
    if (err instanceof ApiError) problem = err;
    else if (err instanceof ZodError)
      problem = new ApiError(400, "INVALID_REQUEST", "Invalid request", { errors: zodFieldErrors(err, "") });
    else if (isTributaryError(err)) {
      problem = fromDomain(err);
      logger.warn({ code: err.code, requestId }, "request refused by a domain rule");
    } else if (err instanceof Error) problem = fromBodyParser(err as BodyParserError) ?? fromPrisma(err);
    if (!problem) {
      logger.error({ err, requestId }, "unhandled error");
      problem = new ApiError(500, "INTERNAL", "Internal server error", {
        detail: "the request failed; see the logs for this request id",
      });
    }
    if (res.headersSent) return;
    sendProblem(res, problem, req.originalUrl.split("?")[0], requestId);
  };
}
