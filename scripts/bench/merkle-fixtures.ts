/** Synthetic allocations for the settle benchmark: random accounts × tokens, in non-canonical order. */
import { randomBytes } from "node:crypto";
import type { Address } from "viem";
import type { LeafValue } from "../../offchain/merkle/leaf";

/**
 * `n` distinct (account, token) leaves over `tokenCount` tokens with amounts below 2^80, in random
 * order, so the canonical sort does real work. Objects are allocated in that order, as an engine
 * emitting its results would; addresses are flat strings, as JSON.parse or a database driver gives
 * them (a template literal would make V8 cons strings that every later access must flatten).
 */
export function syntheticAllocations(n: number, tokenCount = 3): LeafValue[] {
  const tokens = Array.from({ length: tokenCount }, () => flatAddress(randomBytes(20), 0));
  const accountCount = Math.ceil(n / tokenCount);
  const pool = randomBytes(accountCount * 20);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const amounts = randomBytes(n * 10);
  const values: LeafValue[] = [];
  for (const k of order) {
    const a = k % accountCount;
    values.push({
      account: flatAddress(pool, a * 20),
      token: tokens[Math.floor(k / accountCount)],
      cumulativeAmount: BigInt(`0x${amounts.toString("hex", k * 10, k * 10 + 10)}`),
    });
  }
  return values;
}

function flatAddress(bytes: Buffer, offset: number): Address {
  return Buffer.from(`0x${bytes.toString("hex", offset, offset + 20)}`, "latin1").toString("latin1") as Address;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
