/** What the chain says about one epoch's root: its RootProposed log, and whether it was vetoed or matured. */
import type { Address, Hex } from "viem";
import { royaltySplitterAbi } from "./abi";
import { blockRanges } from "./block-ranges";
import type { ChainClients } from "./clients";

export type RootLocation = { splitter: Address; startBlock: bigint; maxBlockRange: number };

export type ProposedRoot = { epoch: number; root: Hex; txHash: Hex; blockNumber: bigint; readyAt: number };

export type TokenTotal = { token: Address; total: bigint };

/**
 * The Epoch row's totals as the epoch close stores them: the settlement result's `[{ token, amount, cumulative }]`,
 * amounts as decimal strings.
 */
export type StoredTotals = { token: string; cumulative: string }[];

/** The Epoch row's totals → the contract's argument (cumulative per token), sorted by increasing address. */
export function toTokenTotals(totals: StoredTotals): TokenTotal[] {
  return totals
    .map((t) => ({ token: t.token.toLowerCase() as Address, total: BigInt(t.cumulative) }))
    .sort((a, b) => (BigInt(a.token) < BigInt(b.token) ? -1 : 1));
}

/** Calls `read` on each block range from `startBlock` to the head. */
async function scan<T>(
  clients: ChainClients,
  where: RootLocation,
  read: (fromBlock: bigint, toBlock: bigint) => Promise<T[]>,
): Promise<T[]> {
  const head = await clients.publicClient.getBlockNumber({ cacheTime: 0 });
  const found: T[] = [];
  for (const r of blockRanges(where.startBlock, head, where.maxBlockRange)) {
    found.push(...(await read(r.fromBlock, r.toBlock)));
  }
  return found;
}

const events = (clients: ChainClients, where: RootLocation, epoch: number) => ({
  proposed: () =>
    scan(clients, where, (fromBlock, toBlock) =>
      clients.publicClient.getContractEvents({
        address: where.splitter,
        abi: royaltySplitterAbi,
        eventName: "RootProposed",
        args: { epoch },
        fromBlock,
        toBlock,
        strict: true,
      }),
    ),
  vetoed: () =>
    scan(clients, where, (fromBlock, toBlock) =>
      clients.publicClient.getContractEvents({
        address: where.splitter,
        abi: royaltySplitterAbi,
        eventName: "RootVetoed",
        args: { epoch },
        fromBlock,
        toBlock,
        strict: true,
      }),
    ),
});

/** The RootProposed log of `epoch`, if the epoch was ever proposed. */
export async function findProposedRoot(
  clients: ChainClients,
  where: RootLocation,
  epoch: number,
): Promise<ProposedRoot | undefined> {
  const [log] = await events(clients, where, epoch).proposed();
  if (!log) return undefined;
  return {
    epoch,
    root: log.args.root,
    txHash: log.transactionHash,
    blockNumber: log.blockNumber,
    readyAt: Number(log.args.readyAt),
  };
}

export type RootFate = "pending" | "claimable" | "vetoed";

/**
 * What became of the proposed root of `epoch`. A root that was not vetoed is claimable once its epoch is (or was
 * overtaken by) the claimable one: the splitter refuses a new proposal while a root is maturing, so a later
 * epoch can only follow a root that matured.
 */
export async function rootFate(
  clients: ChainClients,
  where: RootLocation,
  epoch: number,
  proposedAt?: bigint,
): Promise<RootFate> {
  // A veto can only follow the proposal: scan from the proposal's block when known.
  const ev = events(clients, { ...where, startBlock: proposedAt ?? where.startBlock }, epoch);
  if ((await ev.vetoed()).length > 0) return "vetoed";
  const [, claimableEpoch] = await clients.publicClient.readContract({
    address: where.splitter,
    abi: royaltySplitterAbi,
    functionName: "claimableRoot",
  });
  return claimableEpoch >= epoch ? "claimable" : "pending";
}
