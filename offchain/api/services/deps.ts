import type { Common } from "../../common";
import type { PrismaClient } from "../../db/client";

export type Deps = { prisma: PrismaClient; common: Common };

/** Prisma returns NUMERIC as Decimal; amounts leave the service as exact decimal strings. */
export function amountString(d: { toFixed(): string } | null | undefined): string | null {
  return d == null ? null : d.toFixed();
}
