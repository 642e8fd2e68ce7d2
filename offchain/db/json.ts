/** JSON for the database and replies: bigint → decimal string (exact), recursively. */
import type { Prisma } from "./generated/client";

export function toJson(value: unknown): Prisma.InputJsonValue {
  return JSON.parse(
    JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
  ) as Prisma.InputJsonValue;
}
