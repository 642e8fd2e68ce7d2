/** The service layer the routes call; every function takes the caller's identity explicitly. */
import type { Common } from "../../common";
import type { PrismaClient } from "../../db/client";
import { createDistributionCache, type DistributionCache } from "../../epochs";
import type { Deps } from "./deps";

export type Services = { deps: Deps; distributions: DistributionCache };

export function createServices({ common, prisma }: { common: Common; prisma: PrismaClient }): Services {
  return { deps: { common, prisma }, distributions: createDistributionCache({ prisma }) };
}
