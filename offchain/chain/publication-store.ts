/**
 * Every write of the root publisher's state machine (epoch_publications, and the service's epochs.status /
 * tx_hash kept in step), one function per transition, each in one database transaction.
 */
import type { Hex } from "viem";
import { Prisma } from "../db/generated/client";
import type { Db } from "../db/client";
import type { ChainLogger } from "./common";
import type { SignedTx } from "./publication-tx";
import { enqueueEpochClaimable } from "../webhooks/money-events";
import { proofEpochsChanged } from "../epochs/proof-state";

export type Publication = NonNullable<Awaited<ReturnType<Db["prisma"]["epochPublication"]["findUnique"]>>>;

export const TAKEN = Symbol("taken");

export function createPublicationStore(db: Db, log: ChainLogger, now: () => number) {
  const prisma = db.prisma;
  // Every epoch status this store commits changes what proofs show (epochStatus, or which epoch is claimable).
  const epochChanged = <T>(committed: T): T => {
    proofEpochsChanged(prisma);
    return committed;
  };

  /** Runs an insert of a publication row; TAKEN when another instance inserted that epoch first. */
  async function unlessTaken<T>(insert: () => Promise<T>): Promise<T | typeof TAKEN> {
    try {
      return await insert();
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002") return TAKEN;
      throw err;
    }
  }

  const txFields = (tx: SignedTx) => ({
    txHash: tx.hash,
    rawTx: tx.raw,
    maxFeePerGas: tx.maxFeePerGas.toString(),
    maxPriorityFeePerGas: tx.maxPriorityFeePerGas.toString(),
    submittedAt: new Date(now()),
  });

  return {
    open: () =>
      prisma.epochPublication.findMany({
        where: { state: { in: ["submitted", "mined"] } },
        orderBy: { epochId: "asc" },
      }),
    get: (epochId: number) => prisma.epochPublication.findUniqueOrThrow({ where: { epochId } }),

    /** The lowest computed epoch without a publication. */
    async nextComputed(): Promise<number | undefined> {
      const [next] = await prisma.$queryRaw<{ id: number }[]>`
        SELECT e.id FROM epochs e WHERE e.status = 'computed'
          AND NOT EXISTS (SELECT 1 FROM epoch_publications p WHERE p.epoch_id = e.id)
        ORDER BY e.id LIMIT 1`;
      return next?.id;
    },

    /** Signed, not yet broadcast: recorded first, so a crash can never leave an unknown transaction behind. */
    recordSigned: async (epochId: number, tx: SignedTx) =>
      epochChanged(
        await unlessTaken(() =>
          prisma.$transaction([
            prisma.epochPublication.create({
              data: { epochId, state: "submitted", nonce: tx.nonce, attempts: [tx.hash], ...txFields(tx) },
            }),
            prisma.epoch.update({
              where: { id: epochId },
              data: { status: "submitted", txHash: tx.hash },
              select: { id: true },
            }),
          ]),
        ),
      ),

    /** A root found on chain that this database had no record of. */
    recordAdopted: (epochId: number, txHash: Hex) =>
      unlessTaken(() => prisma.epochPublication.create({ data: { epochId, state: "submitted", attempts: [txHash] } })),

    async recordRepriced(pub: Publication, tx: SignedTx): Promise<void> {
      await prisma.epochPublication.update({
        where: { epochId: pub.epochId },
        data: { ...txFields(tx), attempts: [...(pub.attempts as Hex[]), tx.hash] },
      });
    },

    async markMined(epochId: number, txHash: Hex, blockNumber: bigint, readyAt: number): Promise<void> {
      await prisma.$transaction([
        prisma.epochPublication.update({
          where: { epochId },
          data: { state: "mined", minedTxHash: txHash, minedBlock: blockNumber, readyAt: new Date(readyAt * 1000) },
        }),
        prisma.epoch.update({ where: { id: epochId }, data: { status: "mined", txHash }, select: { id: true } }),
      ]);
      epochChanged(epochId);
      log.info({ epoch: epochId, txHash }, "root mined");
    },

    /** A mined transaction of ours that a reorg removed: wait for it (or re-broadcast it) again. */
    async backToSubmitted(epochId: number): Promise<void> {
      await prisma.$transaction([
        prisma.epochPublication.update({
          where: { epochId },
          data: { state: "submitted", minedTxHash: null, minedBlock: null, readyAt: null },
        }),
        prisma.epoch.update({ where: { id: epochId }, data: { status: "submitted" }, select: { id: true } }),
      ]);
      epochChanged(epochId);
    },

    /** A claimable root also queues its epoch.claimable / refund.available webhooks, in the same transaction. */
    async settle(epochId: number, fate: "claimable" | "vetoed"): Promise<void> {
      await prisma.$transaction(async (tx) => {
        await tx.epochPublication.update({ where: { epochId }, data: { state: fate } });
        await tx.epoch.update({ where: { id: epochId }, data: { status: fate }, select: { id: true } });
        if (fate === "claimable") await enqueueEpochClaimable(tx, epochId);
      });
      epochChanged(epochId);
      log.info({ epoch: epochId, fate }, "root settled");
    },

    /** Drops the publication: nothing of it is on chain, so the epoch is signed again from scratch. */
    async forget(epochId: number, why: string): Promise<void> {
      await prisma.$transaction([
        prisma.epochPublication.delete({ where: { epochId } }),
        prisma.epoch.update({
          where: { id: epochId },
          data: { status: "computed", txHash: null },
          select: { id: true },
        }),
      ]);
      epochChanged(epochId);
      log.warn({ epoch: epochId }, `publication forgotten: ${why}`);
    },

    /** A permanent failure found before anything was sent; TAKEN if another instance already has the epoch. */
    async failUnsent(epochId: number, code: string, message: string) {
      const data = { state: "failed" as const, failureCode: code, failureMessage: message };
      const created = await unlessTaken(() => prisma.epochPublication.create({ data: { epochId, ...data } }));
      if (created === TAKEN) return { waiting: `epoch ${epochId} is being published by another instance` };
      log.error({ epoch: epochId, code, reason: message }, "root publication failed permanently");
      return { failed: { epoch: epochId, code } };
    },

    /** A permanent failure of a transaction we sent (it reverted on chain). */
    async failSent(epochId: number, code: string, message: string): Promise<void> {
      await prisma.epochPublication.update({
        where: { epochId },
        data: { state: "failed", failureCode: code, failureMessage: message },
      });
      log.error({ epoch: epochId, code, reason: message }, "root transaction reverted; publication failed permanently");
    },
  };
}
