/**
 * Root publisher: posts each computed epoch's root with `proposeRoot`, through a persisted state machine
 * (table epoch_publications): submitted → mined → claimable | vetoed, or failed (permanent). While the previous
 * root is still maturing the splitter refuses a proposal (RoyaltySplitterRootPending): the next epoch waits.
 * While the splitter is paused it proposes only the operator-named correction epoch (see `correctionEpoch`).
 *
 * Never twice: the signed transaction is recorded *before* it is broadcast, and re-pricing reuses its nonce, so
 * every transaction this publisher ever broadcasts for an epoch competes for one nonce. Before signing, the chain
 * is asked whether the epoch was already proposed (`lastProposedEpoch`, RootProposed logs) and whether the account
 * has transactions in flight that the database does not know (pending vs latest nonce). The row's primary key
 * (epoch) stops two instances that raced past the advisory lock from both broadcasting. The contract's strictly
 * increasing epoch remains the last line of defence.
 */
import type { Db } from "../db/client";
import { parseEventLogs, parseTransaction, type Hex } from "viem";
import { royaltySplitterAbi } from "./abi";
import type { ChainClients } from "./clients";
import type { ChainCommon } from "./common";
import { decodeRevert, formatRevert, RootRevertedError } from "./errors";
import { createLoop } from "./loop";
import {
  broadcast,
  feesAtLeast,
  isKnown,
  localAccount,
  proposalCall,
  signProposal,
  type RootProposal,
} from "./publication-tx";
import { createPublicationStore, TAKEN, type Publication } from "./publication-store";
import { findProposedRoot, rootFate, toTokenTotals, type RootLocation, type StoredTotals } from "./root-chain";

export type RootPublisherConfig = RootLocation & {
  /** A submitted transaction older than this is re-priced (same nonce, higher fees). */
  stuckAfterMs: number;
  /** Fee increase of a re-priced transaction, percent (nodes want ≥ 10). */
  feeBumpPercent: number;
  pollIntervalMs: number;
  /**
   * The one epoch this publisher may propose while the splitter is paused: the correction an operator reviewed
   * (`ROOT_CORRECTION_EPOCH`). Unset: nothing is proposed while paused.
   */
  correctionEpoch?: number;
};

/** Test seams: throw from one to simulate a crash at that point. */
export type RootPublisherHooks = {
  afterSign?(epoch: number): void | Promise<void>;
  afterRecord?(epoch: number): void | Promise<void>;
  afterBroadcast?(epoch: number): void | Promise<void>;
  afterReceipt?(epoch: number): void | Promise<void>;
};

export type PublishPass = { submitted?: number; failed?: { epoch: number; code: string }; waiting?: string };

export type RootPublisher = { runOnce(): Promise<PublishPass>; start(): void; stop(): Promise<void> };

export function createRootPublisher(p: {
  common: ChainCommon;
  db: Db;
  clients: ChainClients;
  config: RootPublisherConfig;
  hooks?: RootPublisherHooks;
  now?: () => number;
}): RootPublisher {
  const { common, clients, config, hooks = {} } = p;
  const prisma = p.db.prisma;
  const now = p.now ?? Date.now;
  const account = localAccount(clients);
  const log = common.logger;
  const store = createPublicationStore(p.db, log, now);
  /** The epoch whose "paused, not proposing" alert was logged, so a long pause logs it once. */
  let alertedWhilePaused: number | undefined;

  async function proposalOf(epochId: number): Promise<RootProposal> {
    // Only what the proposal needs: the row also holds the distribution file and the carried state (MBs at 100k leaves).
    const e = await prisma.epoch.findUniqueOrThrow({
      where: { id: epochId },
      select: { id: true, root: true, contentHash: true, totals: true },
    });
    const totals = toTokenTotals(e.totals as StoredTotals);
    return { splitter: config.splitter, root: e.root as Hex, contentHash: e.contentHash as Hex, epoch: e.id, totals };
  }

  /** Moves a submitted publication forward from receipts; re-broadcasts or re-prices it when nothing mined. */
  async function advanceSubmitted(pub: Publication, reprice = true): Promise<void> {
    const attempts = (pub.attempts as Hex[]).slice().reverse();
    for (const hash of attempts) {
      const receipt = await clients.publicClient.getTransactionReceipt({ hash }).catch(() => undefined);
      if (!receipt) continue;
      await hooks.afterReceipt?.(pub.epochId);
      if (receipt.status === "success") {
        const [ev] = parseEventLogs({ abi: royaltySplitterAbi, eventName: "RootProposed", logs: receipt.logs });
        await store.markMined(pub.epochId, hash, receipt.blockNumber, Number(ev.args.readyAt));
        await alertIfLandedWhilePaused(pub.epochId, receipt.blockNumber);
        return;
      }
      const proposal = await proposalOf(pub.epochId);
      const reverted = await clients.publicClient
        .simulateContract({ ...proposalCall(proposal), account, blockNumber: receipt.blockNumber - 1n })
        .then(() => undefined, RootRevertedError.from);
      const why = reverted?.revert;
      if (reverted?.kind === "retryable") {
        // Reverted for a passing reason (paused, a root still maturing): the nonce is spent, nothing was proposed.
        await store.forget(pub.epochId, `${hash} reverted with ${formatRevert(reverted.revert)}; will sign again`);
        return;
      }
      await store.failSent(
        pub.epochId,
        why?.errorName ?? "Reverted",
        why ? formatRevert(why) : `transaction ${hash} reverted`,
      );
      return;
    }
    const latest = await clients.publicClient.getTransactionCount({ address: account.address, blockTag: "latest" });
    if (latest > pub.nonce!) {
      // The nonce went to a transaction that is none of ours for this epoch (another holder of the key?).
      const onChain = await findProposedRoot(clients, config, pub.epochId);
      if (onChain) {
        await store.markMined(pub.epochId, onChain.txHash, onChain.blockNumber, onChain.readyAt);
        return;
      }
      await store.forget(pub.epochId, `nonce ${pub.nonce} was consumed by another transaction`);
      return;
    }
    if (reprice && now() - pub.submittedAt!.getTime() >= config.stuckAfterMs) {
      const floor = {
        maxFeePerGas: BigInt(pub.maxFeePerGas!.toFixed()),
        maxPriorityFeePerGas: BigInt(pub.maxPriorityFeePerGas!.toFixed()),
      };
      const { gas } = parseTransaction(pub.rawTx as Hex);
      const fees = await feesAtLeast(clients, floor, config.feeBumpPercent);
      const tx = await signProposal(clients, await proposalOf(pub.epochId), pub.nonce!, fees, gas);
      await store.recordRepriced(pub, tx);
      log.warn(
        { epoch: pub.epochId, nonce: tx.nonce, txHash: tx.hash, maxFeePerGas: tx.maxFeePerGas.toString() },
        "re-priced a stuck root transaction",
      );
      await broadcast(clients, tx.raw);
      return;
    }
    if (!(await isKnown(clients, pub.txHash as Hex))) {
      log.info({ epoch: pub.epochId, txHash: pub.txHash }, "re-broadcasting a recorded root transaction");
      await broadcast(clients, pub.rawTx as Hex);
    }
  }

  /**
   * `paused()` is checked before signing; a pause mined before the proposal still lets a routine root through as
   * a correction: it supersedes the live root. That root is pending for the whole timelock, so say so loudly (a
   * guardian should veto it unless it is the fix). Superseded means: paused after the block, and the root claims
   * used before it is no longer claimable (`claimableRoot()` is zero; a routine proposal leaves it in place).
   */
  async function alertIfLandedWhilePaused(epoch: number, blockNumber: bigint): Promise<void> {
    if (epoch === config.correctionEpoch) return;
    const at = { address: config.splitter, abi: royaltySplitterAbi } as const;
    const [pausedThen, [liveBefore], [liveAfter]] = await Promise.all([
      clients.publicClient.readContract({ ...at, functionName: "paused", blockNumber }),
      clients.publicClient.readContract({ ...at, functionName: "claimableRoot", blockNumber: blockNumber - 1n }),
      clients.publicClient.readContract({ ...at, functionName: "claimableRoot", blockNumber }),
    ]);
    if (pausedThen && BigInt(liveAfter) === 0n && BigInt(liveBefore) !== 0n) {
      log.error(
        { epoch, blockNumber: blockNumber.toString(), superseded: liveBefore },
        "a routine root landed while the splitter was paused and superseded the live root; veto it unless it is the correction",
      );
    }
  }

  async function advanceMined(pub: Publication): Promise<void> {
    const receipt = await clients.publicClient
      .getTransactionReceipt({ hash: pub.minedTxHash as Hex })
      .catch(() => undefined);
    if (!receipt) {
      // Reorged out. Ours: back to submitted, the recorded raw transaction is re-broadcast (same nonce, same epoch).
      // Adopted from the chain (no raw transaction of ours): forget it, the epoch is reconsidered from scratch.
      log.warn({ epoch: pub.epochId, txHash: pub.minedTxHash }, "mined root transaction no longer on chain (reorg)");
      if (pub.rawTx) await store.backToSubmitted(pub.epochId);
      else await store.forget(pub.epochId, "the adopted root was reorged out");
      return;
    }
    const fate = await rootFate(clients, config, pub.epochId, pub.minedBlock ?? undefined);
    if (fate !== "pending") await store.settle(pub.epochId, fate);
  }

  /** Signs, records and broadcasts the next computed epoch (or adopts / fails it from the chain's answer). */
  async function publishNext(): Promise<PublishPass> {
    const next = await store.nextComputed();
    if (next === undefined) return {};
    const proposal = await proposalOf(next);
    const lastOnChain = await clients.publicClient.readContract({
      address: config.splitter,
      abi: royaltySplitterAbi,
      functionName: "lastProposedEpoch",
    });
    if (proposal.epoch <= lastOnChain) {
      const onChain = await findProposedRoot(clients, config, proposal.epoch);
      if (onChain && onChain.root.toLowerCase() === proposal.root.toLowerCase()) {
        const adopted = await store.recordAdopted(proposal.epoch, onChain.txHash);
        if (adopted === TAKEN) return { waiting: `epoch ${proposal.epoch} is being recorded by another instance` };
        log.warn(
          { epoch: proposal.epoch, txHash: onChain.txHash },
          "epoch already on chain; adopting it instead of posting again",
        );
        await store.markMined(proposal.epoch, onChain.txHash, onChain.blockNumber, onChain.readyAt);
        return {};
      }
      return store.failUnsent(
        proposal.epoch,
        "RoyaltySplitterEpochNotIncreasing",
        `epoch ${proposal.epoch} <= last proposed ${lastOnChain}`,
      );
    }
    // A proposal made while paused supersedes the root claims used (the contract's correction path). A guardian
    // paused to correct a bad root; the publisher proposing its next routine epoch over that would take the
    // correction out of the guardian's and operators' hands, so while paused it proposes only the epoch an operator
    // named as the correction, and otherwise stops and alerts (once per epoch).
    const paused = await clients.publicClient.readContract({
      address: config.splitter,
      abi: royaltySplitterAbi,
      functionName: "paused",
    });
    if (paused && proposal.epoch !== config.correctionEpoch) {
      if (alertedWhilePaused !== proposal.epoch) {
        alertedWhilePaused = proposal.epoch;
        log.error(
          { epoch: proposal.epoch, correctionEpoch: config.correctionEpoch ?? null },
          "splitter paused by a guardian: not proposing; set ROOT_CORRECTION_EPOCH to the reviewed correction's epoch to publish it",
        );
      }
      return { waiting: `splitter paused: epoch ${proposal.epoch} is not the correction (ROOT_CORRECTION_EPOCH)` };
    }
    alertedWhilePaused = undefined;
    const [pending, latest] = await Promise.all([
      clients.publicClient.getTransactionCount({ address: account.address, blockTag: "pending" }),
      clients.publicClient.getTransactionCount({ address: account.address, blockTag: "latest" }),
    ]);
    if (pending > latest) return { waiting: `account has ${pending - latest} unrecorded transaction(s) in flight` };
    try {
      await clients.publicClient.simulateContract({ ...proposalCall(proposal), account });
    } catch (err) {
      const reverted = RootRevertedError.from(err);
      const why = reverted?.revert;
      // The epoch check above passed, so this is another instance's proposal landing meanwhile: look again next pass.
      if (why?.errorName === "RoyaltySplitterEpochNotIncreasing")
        return { waiting: `epoch ${proposal.epoch} was proposed meanwhile` };
      if (why && reverted.kind === "permanent")
        return store.failUnsent(proposal.epoch, why.errorName, formatRevert(why));
      if (why?.errorName === "RoyaltySplitterRootPending")
        return { waiting: `${formatRevert(why)}: the previous root is maturing` };
      throw err; // RPC trouble: worth another pass
    }
    let tx: Awaited<ReturnType<typeof signProposal>>;
    try {
      tx = await signProposal(clients, proposal, latest, await feesAtLeast(clients));
    } catch (err) {
      // Another instance's transaction for this epoch landed since the dry run: nothing was sent, look again next pass.
      if (decodeRevert(err)?.errorName === "RoyaltySplitterEpochNotIncreasing")
        return { waiting: `epoch ${proposal.epoch} was proposed meanwhile` };
      throw err;
    }
    await hooks.afterSign?.(proposal.epoch);
    const recorded = await store.recordSigned(proposal.epoch, tx);
    if (recorded === TAKEN) return { waiting: `epoch ${proposal.epoch} is being published by another instance` };
    await hooks.afterRecord?.(proposal.epoch);
    await broadcast(clients, tx.raw);
    log.info({ epoch: proposal.epoch, nonce: tx.nonce, txHash: tx.hash }, "root submitted");
    await hooks.afterBroadcast?.(proposal.epoch);
    return { submitted: proposal.epoch };
  }

  async function runOnce(): Promise<PublishPass> {
    for (const pub of await store.open()) {
      if (pub.state === "submitted") await advanceSubmitted(pub);
      else await advanceMined(pub);
    }
    // One transaction in flight at a time keeps nonces and epochs in step.
    if ((await store.open()).some((x) => x.state === "submitted"))
      return { waiting: "a root transaction is in flight" };
    const pass = await publishNext();
    if (pass.submitted !== undefined) {
      await advanceSubmitted(await store.get(pass.submitted), false); // on an automining chain the receipt is already there
    }
    return pass;
  }

  const loop = createLoop("root-publisher", config.pollIntervalMs, runOnce, log);
  return { runOnce, start: loop.start, stop: loop.stop };
}
