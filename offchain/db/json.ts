/** JSON for the database and replies: bigint → decimal string (exact), recursively. */
import type { Prisma } from "./generated/client";

export function toJson(value: unknown): Prisma.InputJsonValue {
  return JSON.parse(jsonText(value)) as Prisma.InputJsonValue;
}

/**
 * The same JSON as one text, for a `$1::jsonb` parameter: a large value (an epoch's carried state, one entry per
 * account ever paid) bound as text skips the client's per-value JSON conversion, about half the write time at 100,000
 * accounts on PGlite (bench:scale).
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}
