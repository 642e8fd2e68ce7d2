/** The service layer the routes call; every function takes the caller's identity explicitly. */
import type { Common } from "../../common";
import type { PrismaClient } from "../../db/client";
import type { Deps } from "./deps";
import type { DistributionCache } from "./epochs";

export type Services = { deps: Deps; distributions: DistributionCache };

export function createServices({ common, prisma }: { common: Common; prisma: PrismaClient }): Services {
  return { deps: { common, prisma }, distributions: new Map() };
}
