/**
 * Which ERC-20 tokens the RoyaltySplitter accepts deposits in. An offer in any other token would give licenses
 * that can never be paid, so offers are checked against this list when they are made.
 */
import type { Address, PublicClient } from "viem";
import { royaltySplitterAbi } from "../../chain/abi";
import { ApiError } from "../errors";

export type TokenAllowList = {
  /** True when the splitter accepts `token`; throws a retryable 503 when the answer cannot be had now. */
  isAllowed(token: Address): Promise<boolean>;
};

export type SplitterTokenAllowListParameters = { publicClient: PublicClient; splitter: Address };

/**
 * Reads `isTokenAllowed` from the splitter at the latest block, on every call: offers are made rarely, and a
 * cached answer would accept a token the admin has just removed.
 * @example
 * createApp({ common, db, tokens: splitterTokenAllowList({ publicClient: clients.publicClient, splitter }) });
 */
export function splitterTokenAllowList({ publicClient, splitter }: SplitterTokenAllowListParameters): TokenAllowList {
  return {
    async isAllowed(token) {
      try {
        return await publicClient.readContract({
          address: splitter,
          abi: royaltySplitterAbi,
          functionName: "isTokenAllowed",
          args: [token],
        });
      } catch (cause) {
        throw new ApiError(503, "chain-unavailable", "Temporarily unavailable", {
          detail: "could not read the splitter's token allow-list; retry",
          cause,
        });
      }
    },
  };
}

/** A fixed list, for a service run without a chain (and for tests). Addresses compare case-insensitively. */
export function staticTokenAllowList(tokens: readonly string[]): TokenAllowList {
  const allowed = new Set(tokens.map((t) => t.toLowerCase()));
  return { isAllowed: async (token) => allowed.has(token.toLowerCase()) };
}
