/**
 * Deposit indexer: copies the splitter's `Deposited` logs into the `deposits` table.
 *
 * Every pass re-reads the last `reorgDepth` blocks below its cursor plus everything up to the head, in ranges of
 * at most `maxBlockRange` blocks. Each range is written in one database transaction together with the cursor, so
 * an interruption leaves a consistent prefix. Rows are keyed by (txHash, logIndex), so re-reading is idempotent;
 * a row in a re-read range whose log is gone (or moved to another block) is marked `reorged`, and one that is
 * back is re-activated — a deposit is never counted twice and a reorged-out one never counts. A log is
 * `confirmed` once it has `confirmations` blocks (its own included); `reorgDepth >= confirmations` keeps every
 * deposit in the re-read window until it is confirmed. A deposit that becomes confirmed queues a deposit.confirmed
 * webhook to its license's buyer in the same transaction (again if a reorg took it away and it came back).
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
import { type ConfirmedDeposit, enqueueDepositsConfirmed } from "../webhooks/money-events";

export const DEPOSIT_CURSOR = "deposits";

export type DepositIndexerConfig = {
  splitter: Address;
  /** First block to scan on a fresh database (the splitter's deployment block). */
  startBlock: bigint;
  confirmations: number;
  reorgDepth: number;
  maxBlockRange: number;
  pollIntervalMs: number;
};

export type DepositIndexerHooks = {
  /** Test seam: called after each range is committed (throw to simulate a crash mid-pass). */
  afterRange?(toBlock: bigint): void | Promise<void>;
};

/** `unknownLicense`: logs naming a licenseId no license has; stored like any other (the engine holds, then refunds them). */
export type DepositPass = { head: bigint; fromBlock: bigint; logs: number; reorged: number; unknownLicense: number };

export type DepositIndexer = { runOnce(): Promise<DepositPass>; start(): void; stop(): Promise<void> };

const key = (txHash: string, logIndex: number): string => `${txHash}:${logIndex}`;

export function createDepositIndexer(p: {
  common: ChainCommon;
  db: Db;
  clients: ChainClients;
  config: DepositIndexerConfig;
  hooks?: DepositIndexerHooks;
}): DepositIndexer {
  const { common, db, clients, config, hooks } = p;
  if (config.confirmations < 1) throw new ChainError("CHAIN_CONFIG_INVALID", "confirmations must be at least 1");
  if (config.reorgDepth < config.confirmations)
    throw new ChainError("CHAIN_CONFIG_INVALID", "reorgDepth must be at least confirmations");
  if (config.maxBlockRange < 1) throw new ChainError("CHAIN_CONFIG_INVALID", "maxBlockRange must be at least 1");
  const prisma = db.prisma;

  async function indexRange(
    fromBlock: bigint,
    toBlock: bigint,
    head: bigint,
  ): Promise<Omit<DepositPass, "head" | "fromBlock">> {
    const logs = await clients.publicClient.getContractEvents({
      address: config.splitter,
      abi: royaltySplitterAbi,
      eventName: "Deposited",
      fromBlock,
      toBlock,
      strict: true,
    });
    const licenseIds = [...new Set(logs.map((l) => l.args.licenseId.toLowerCase()))];
    return prisma.$transaction(async (tx) => {
      const known = new Set(
        (await tx.license.findMany({ where: { id: { in: licenseIds } }, select: { id: true } })).map((l) => l.id),
      );
      const seen = new Set<string>();
      let unknownLicense = 0;
      // Which of these logs were already confirmed: only a change to confirmed sends deposit.confirmed.
      const wasConfirmed = new Set(
        (
          await tx.deposit.findMany({
            where: {
              txHash: { in: [...new Set(logs.map((l) => l.transactionHash.toLowerCase()))] },
              state: "confirmed",
            },
            select: { txHash: true, logIndex: true },
          })
        ).map((d) => key(d.txHash, d.logIndex)),
      );
      const newlyConfirmed: ConfirmedDeposit[] = [];
      for (const log of logs) {
        const licenseId = log.args.licenseId.toLowerCase();
        if (!known.has(licenseId)) {
          // Stored all the same: the settlement engine holds it and refunds the payer after the grace period (or counts
          // it once a license with this id appears). The licenseId is public on-chain, so naming it in the log is fine.
          common.logger.warn({ licenseId, txHash: log.transactionHash }, "deposit for an unknown license: held");
          unknownLicense++;
        }
        const confirmed = head - log.blockNumber + 1n >= BigInt(config.confirmations);
        const row = {
          blockNumber: log.blockNumber,
          blockHash: log.blockHash.toLowerCase(),
          state: confirmed ? ("confirmed" as const) : ("pending" as const),
        };
        seen.add(key(log.transactionHash.toLowerCase(), log.logIndex));
        await tx.deposit.upsert({
          where: { txHash_logIndex: { txHash: log.transactionHash.toLowerCase(), logIndex: log.logIndex } },
          create: {
            ...row,
            licenseId,
            token: log.args.token.toLowerCase(),
            payer: log.args.payer.toLowerCase(),
            amount: log.args.amount.toString(),
            txHash: log.transactionHash.toLowerCase(),
            logIndex: log.logIndex,
          },
          update: row,
        });
        if (confirmed && !wasConfirmed.has(key(log.transactionHash.toLowerCase(), log.logIndex)))
          newlyConfirmed.push({
            licenseId,
            token: log.args.token.toLowerCase(),
            amount: log.args.amount.toString(),
            payer: log.args.payer.toLowerCase(),
            txHash: log.transactionHash.toLowerCase(),
            logIndex: log.logIndex,
            blockNumber: log.blockNumber,
          });
      }
      await enqueueDepositsConfirmed(tx, newlyConfirmed);
      const inRange = await tx.deposit.findMany({
        where: { blockNumber: { gte: fromBlock, lte: toBlock }, state: { not: "reorged" } },
        select: { id: true, txHash: true, logIndex: true, settledEpoch: true },
      });
      const gone = inRange.filter((d) => !seen.has(key(d.txHash, d.logIndex)));
      for (const d of gone) {
        // Allocations already paid from it cannot be taken back here; operators must know.
        if (d.settledEpoch !== null)
          common.logger.error({ txHash: d.txHash, epoch: d.settledEpoch }, "a settled deposit was reorged out");
      }
      if (gone.length > 0) {
        await tx.deposit.updateMany({ where: { id: { in: gone.map((g) => g.id) } }, data: { state: "reorged" } });
      }
      await writeCursor(tx, DEPOSIT_CURSOR, toBlock + 1n);
      return { logs: logs.length, reorged: gone.length, unknownLicense };
    }, RANGE_TRANSACTION);
  }

  async function runOnce(): Promise<DepositPass> {
    // viem caches the block number for a polling interval; a pass must start from the real head.
    const head = await clients.publicClient.getBlockNumber({ cacheTime: 0 });
    const cursor = await readCursor(prisma, DEPOSIT_CURSOR, config.startBlock);
    let fromBlock = cursor - BigInt(config.reorgDepth);
    if (fromBlock < config.startBlock) fromBlock = config.startBlock;
    const pass: DepositPass = { head, fromBlock, logs: 0, reorged: 0, unknownLicense: 0 };
    // The chain got shorter than what we indexed: whatever sat above the new head is gone.
    const above = await prisma.deposit.updateMany({
      where: { blockNumber: { gt: head }, state: { not: "reorged" } },
      data: { state: "reorged" },
    });
    pass.reorged += above.count;
    if (cursor > head + 1n) await writeCursor(prisma, DEPOSIT_CURSOR, head + 1n);
    for (const { fromBlock: from, toBlock: to } of blockRanges(fromBlock, head, config.maxBlockRange)) {
      const r = await indexRange(from, to, head);
      pass.logs += r.logs;
      pass.reorged += r.reorged;
      pass.unknownLicense += r.unknownLicense;
      await hooks?.afterRange?.(to);
    }
    if (pass.reorged > 0) common.logger.warn({ reorged: pass.reorged, head }, "deposits un-confirmed by a reorg");
    return pass;
  }

  const loop = createLoop("deposit-indexer", config.pollIntervalMs, runOnce, common.logger);
  return { runOnce, start: loop.start, stop: loop.stop };
}
