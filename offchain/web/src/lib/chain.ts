/** On-chain reads the pages share: the splitter's roots, claimed totals and token metadata. */
import { erc20Abi, type Address, type Hex, type PublicClient } from "viem";
import { royaltySplitterAbi } from "../../../chain/abi";
import type { TokenInfo } from "./format";

export { royaltySplitterAbi };

export type Roots = {
  claimable: { root: Hex; epoch: number };
  pending: { root: Hex; epoch: number; readyAt: number };
};

export async function readRoots(client: PublicClient, splitter: Address): Promise<Roots> {
  const [c, p] = await Promise.all([
    client.readContract({ address: splitter, abi: royaltySplitterAbi, functionName: "claimableRoot" }),
    client.readContract({ address: splitter, abi: royaltySplitterAbi, functionName: "pendingRoot" }),
  ]);
  return {
    claimable: { root: c[0], epoch: Number(c[1]) },
    pending: { root: p[0], epoch: Number(p[1]), readyAt: Number(p[2]) },
  };
}

export function readClaimed(
  client: PublicClient,
  splitter: Address,
  account: Address,
  token: Address,
): Promise<bigint> {
  return client.readContract({
    address: splitter,
    abi: royaltySplitterAbi,
    functionName: "claimed",
    args: [account, token],
  });
}

const tokenCache = new Map<string, Promise<TokenInfo>>();

/** Symbol and decimals of an ERC-20 (cached per page). */
export function tokenInfo(client: PublicClient, token: Address): Promise<TokenInfo> {
  const key = token.toLowerCase();
  let info = tokenCache.get(key);
  if (!info) {
    info = Promise.all([
      client.readContract({ address: token, abi: erc20Abi, functionName: "symbol" }),
      client.readContract({ address: token, abi: erc20Abi, functionName: "decimals" }),
    ]).then(([symbol, decimals]) => ({ address: key, symbol, decimals }));
    info.catch(() => tokenCache.delete(key));
    tokenCache.set(key, info);
  }
  return info;
}

export const sameHex = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
