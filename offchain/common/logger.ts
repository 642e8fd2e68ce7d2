/**
 * Structured logs (pino). Secrets and private fields are redacted by path, so a handler that logs a request or
 * a record by mistake still leaks nothing: bearer tokens, API keys, consent subjects, SIWE signatures.
 */
import pino from "pino";
import type { Logger } from "pino";

export type { Logger };

export const REDACTED_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-api-key"]',
  "*.authorization",
  "*.apiKey",
  "*.key",
  "*.token",
  "*.signature",
  "*.subject",
  "*.salt",
  "*.events",
];

export function createLogger(opts: { level: string; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      level: opts.level,
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      base: { service: "tributary" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination,
  );
}
