/** The service layer the routes call; every function takes the caller's identity explicitly. */
import type { Common } from "../../common";
import type { PrismaClient } from "../../db/client";
import { createDistributionCache, createProofState, type DistributionCache, type ProofState } from "../../epochs";
import { distributionStoreOf, type ContentStore } from "../../files";
import type { Deps } from "./deps";
import type { TokenAllowList } from "./token-allow-list";

/** `tokens` unset: offers are not checked against the splitter's allow-list (a service run without a chain). */
export type Services = {
  deps: Deps;
  distributions: DistributionCache;
  files: ContentStore;
  proofState: ProofState;
  tokens?: TokenAllowList;
};

export function createServices({
  common,
  prisma,
  tokens,
}: {
  common: Common;
  prisma: PrismaClient;
  tokens?: TokenAllowList;
}): Services {
  const files = distributionStoreOf(common);
  return {
    deps: { common, prisma },
    distributions: createDistributionCache({ prisma, store: files }),
    files,
    proofState: createProofState({
      prisma,
      maxAgeMs: common.config.proofStateMaxAgeMs,
      // Embedded PGlite: one process holds the data folder, so every writer signals (see proof-state.ts).
      periodic: common.config.database.url !== undefined,
    }),
    tokens,
  };
}
