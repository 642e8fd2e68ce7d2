/** Amount formatting: exact decimal strings from bigint base units (viem formatUnits), never rounded. */
import { formatUnits } from "viem";

export type TokenInfo = { address: string; symbol: string; decimals: number };

/**
 * Formats base units with the token's decimals, every digit kept, so a tiny amount never shows as 0.
 * @example formatAmount(1n, { symbol: "TUSD", decimals: 18 }) // "0.000000000000000001 TUSD"
 */
export function formatAmount(units: bigint | string, token: Pick<TokenInfo, "symbol" | "decimals">): string {
  const v = typeof units === "string" ? BigInt(units) : units;
  return `${formatUnits(v, token.decimals)} ${token.symbol}`;
}

/** Local date and time plus ISO UTC, for deadlines such as a root's readyAt. */
export function formatTime(unixSeconds: number | bigint): string {
  const d = new Date(Number(unixSeconds) * 1000);
  return `${d.toLocaleString()} (${d.toISOString().replace(".000Z", "Z")})`;
}
