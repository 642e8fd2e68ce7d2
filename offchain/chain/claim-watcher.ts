/**
 * Claim watcher: keeps `claimed_totals` equal to the splitter's `claimed(account, token)` from confirmed
 * `Claimed` logs, so the API's "claimable now" (cumulative − claimed) is exact.
 *
 * Each log carries the account's new claimed total (`cumulativeAmount`), and claimed totals only grow, so a row
 * is set to the largest total seen: replaying a range is harmless. Only blocks with `confirmations` are read
 * (no re-read window: a claim is final for the API once confirmed), in ranges of at most `maxBlockRange`, each
 * committed with the cursor.
 */
import type { Address } from "viem";
import { royaltySplitterAbi } from "./abi";
import type { ChainClients } from "./clients";
import type { ChainCommon } from "./common";
import { blockRanges } from "./block-ranges";
import { RANGE_TRANSACTION, readCursor, writeCursor } from "./cursor";
import { createLoop } from "./loop";
import type { Db } from "../db/client";
import { ChainError } from "./errors";
import { proofClaimsRecorded, type ClaimedTotal } from "../epochs/proof-state";

export const CLAIM_CURSOR = "claims";

export type ClaimWatcherConfig = {
  splitter: Address;
  startBlock: bigint;
  confirmations: number;
  maxBlockRange: number;
  pollIntervalMs: number;
};

export type ClaimPass = { toBlock: bigint; logs: number };

export type ClaimWatcher = { runOnce(): Promise<ClaimPass>; start(): void; stop(): Promise<void> };

export function createClaimWatcher(p: {
  common: ChainCommon;
  db: Db;
  clients: ChainClients;
  config: ClaimWatcherConfig;
}): ClaimWatcher {
  const { common, clients, config } = p;
  const prisma = p.db.prisma;
  if (config.confirmations < 1) throw new ChainError("CHAIN_CONFIG_INVALID", "confirmations must be at least 1");

  async function runOnce(): Promise<ClaimPass> {
    const head = await clients.publicClient.getBlockNumber({ cacheTime: 0 });
    const safe = head - BigInt(config.confirmations) + 1n;
    const cursor = await readCursor(prisma, CLAIM_CURSOR, config.startBlock);
    let logs = 0;
    for (const { fromBlock: from, toBlock: to } of blockRanges(cursor, safe, config.maxBlockRange)) {
      const claimed = await clients.publicClient.getContractEvents({
        address: config.splitter,
        abi: royaltySplitterAbi,
        eventName: "Claimed",
        fromBlock: from,
        toBlock: to,
        strict: true,
      });
      const latest = new Map<string, { account: string; token: string; total: bigint }>();
      for (const log of claimed) {
        const account = log.args.account.toLowerCase();
        const token = log.args.token.toLowerCase();
        const k = `${account}:${token}`;
        const prev = latest.get(k);
        if (!prev || log.args.cumulativeAmount > prev.total)
          latest.set(k, { account, token, total: log.args.cumulativeAmount });
      }
      const written: ClaimedTotal[] = [];
      await prisma.$transaction(async (tx) => {
        written.length = 0; // a retried transaction starts over
        for (const c of latest.values()) {
          const row = await tx.claimedTotal.findUnique({
            where: { account_token: { account: c.account, token: c.token } },
          });
          if (row && BigInt(row.claimed.toFixed()) >= c.total) continue;
          await tx.claimedTotal.upsert({
            where: { account_token: { account: c.account, token: c.token } },
            create: { account: c.account, token: c.token, claimed: c.total.toString() },
            update: { claimed: c.total.toString() },
          });
          written.push(c);
        }
        await writeCursor(tx, CLAIM_CURSOR, to + 1n);
      }, RANGE_TRANSACTION);
      // Committed: this process's proofs show the new totals from the next request on (no database read).
      proofClaimsRecorded(prisma, written);
      logs += claimed.length;
    }
    if (logs > 0) common.logger.info({ logs, toBlock: safe.toString() }, "claims indexed");
    return { toBlock: safe, logs };
  }

  const loop = createLoop("claim-watcher", config.pollIntervalMs, runOnce, common.logger);
  return { runOnce, start: loop.start, stop: loop.stop };
}
