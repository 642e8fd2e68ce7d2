/**
 * Which ERC-20 tokens the RoyaltySplitter accepts deposits in. An offer in any other token would give licenses
 * that can never be paid, so offers are checked against this list when they are made.
 */
import { type Address, erc20Abi, type PublicClient } from "viem";
import { royaltySplitterAbi } from "../../chain/abi";
import { ApiError } from "../errors";

export type TokenAllowList = {
  /** True when the splitter accepts `token`; throws a retryable 503 when the answer cannot be had now. */
  isAllowed(token: Address): Promise<boolean>;
  /**
   * The token's decimals (base units per whole token = 10^decimals), shown in deposit instructions so amounts are
   * stated in the right unit; null when they cannot be known (a static list without them, an unreadable token).
   */
  decimalsOf(token: Address): Promise<number | null>;
};

/** The splitter's sentinel for native ETH deposits: 18 decimals, like wei. */
/** The splitter's native-ETH sentinel token address. */
export const NATIVE = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";

export type SplitterTokenAllowListParameters = { publicClient: PublicClient; splitter: Address };

/**
 * Reads `isTokenAllowed` from the splitter at the latest block, on every call: offers are made rarely, and a
 * cached answer would accept a token the admin has just removed.
 * @example
 * createApp({ common, db, tokens: splitterTokenAllowList({ publicClient: clients.publicClient, splitter }) });
 */
export function splitterTokenAllowList({ publicClient, splitter }: SplitterTokenAllowListParameters): TokenAllowList {
  // Decimals never change for a deployed ERC-20: read once per token.
  const decimals = new Map<string, number>();
  return {
    async decimalsOf(token) {
      const key = token.toLowerCase();
      if (key === NATIVE) return 18;
      const known = decimals.get(key);
      if (known !== undefined) return known;
      try {
        const d = await publicClient.readContract({ address: token, abi: erc20Abi, functionName: "decimals" });
        decimals.set(key, d);
        return d;
      } catch {
        return null; // not an ERC-20 with decimals(), or the chain is unreachable: the instructions say "unknown"
      }
    },
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

/**
 * A fixed list, for a service run without a chain (and for tests), with the decimals of those tokens that have them
 * known. Addresses compare case-insensitively.
 */
export function staticTokenAllowList(
  tokens: readonly string[],
  decimals: Readonly<Record<string, number>> = {},
): TokenAllowList {
  const allowed = new Set(tokens.map((t) => t.toLowerCase()));
  const known = new Map(Object.entries(decimals).map(([t, d]) => [t.toLowerCase(), d]));
  return {
    isAllowed: async (token) => allowed.has(token.toLowerCase()),
    decimalsOf: async (token) => (token.toLowerCase() === NATIVE ? 18 : (known.get(token.toLowerCase()) ?? null)),
  };
}
