/**
 * The root watcher an auditor or guardian runs on its own machine: its own RPC, its own copy of the files (a
 * folder, a mirror or the API, tried in that order), no database. For every RootProposed it fetches the committed
 * distribution file and runs the checks of checks.ts; a root that fails one is vetoed with the watcher's guardian
 * key while it is still pending, and an alert is raised (metric, log, optional webhook, the pass's result). State
 * is persisted after every step (state.ts) so a restart mid-epoch neither re-alerts nor vetoes again.
 */
import { encodeFunctionData, type Address, type Hex } from "viem";
import { Counter, Gauge, Registry } from "prom-client";
import { royaltySplitterAbi } from "../chain/abi";
import { blockRanges } from "../chain/block-ranges";
import type { ChainClients } from "../chain/clients";
import type { ChainLogger } from "../chain/common";
import type { Distribution } from "../merkle";
import { checkDistribution, fetchCommittedFile, type CheckFailure, type Proposal } from "./checks";
import { apiSource, type DistributionSource } from "./sources";
import { loadWatchState, saveWatchState, type EpochRecord, type WatchState } from "./state";

export type WatcherConfig = {
  splitter: Address;
  /** The splitter's deployment block (first block scanned on a fresh state). */
  startBlock: bigint;
  stateFile: string;
  sources: readonly DistributionSource[];
  /** Seconds after the proposal within which the file must be available (default 600). */
  fileDeadlineSeconds?: number;
  /** The file deadline is never later than readyAt minus this margin, so a veto still lands (default 30). */
  vetoMarginSeconds?: number;
  maxBlockRange?: number;
  pollIntervalMs?: number;
  /** POSTed a JSON alert per failed root (epoch, check, message, leaf, veto transaction). */
  webhookUrl?: string;
};

export type WatcherDeps = {
  /** Signing clients: the wallet account must hold GUARDIAN_ROLE (read-only clients only alert). */
  clients: ChainClients;
  config: WatcherConfig;
  logger: ChainLogger;
  /** Where the watcher's metrics are registered (default: a registry of its own, see `registry`). */
  registry?: Registry;
};

export type Alert = {
  epoch: number;
  root: Hex;
  contentHash: Hex;
  failures: CheckFailure[];
  action: "vetoed" | "veto-failed" | "too-late" | "no-key" | "alert-only";
  vetoTx?: Hex;
};

export type WatchPass = {
  /** Epochs concluded in this pass (passed, failed or vetoed). */
  concluded: { epoch: number; status: EpochRecord["status"]; failures: CheckFailure[] }[];
  /** Epochs whose file is not available yet (before the deadline). */
  waiting: number[];
  alerts: Alert[];
};

export type Watcher = {
  runOnce(): Promise<WatchPass>;
  start(): void;
  stop(): Promise<void>;
  /** What the watcher knows per epoch (a copy). */
  epochs(): EpochRecord[];
  readonly registry: Registry;
  /** True once any root failed a vetoing check (the CLI's exit status). */
  readonly failedAny: boolean;
};

export function createWatcher({ clients, config, logger, registry = new Registry() }: WatcherDeps): Watcher {
  const { publicClient, walletClient } = clients;
  const fileDeadline = config.fileDeadlineSeconds ?? 600;
  const margin = config.vetoMarginSeconds ?? 30;
  const maxBlockRange = config.maxBlockRange ?? 2000;
  const metrics = {
    checked: new Counter({
      name: "tributary_watch_roots_checked_total",
      help: "Proposed roots the watcher concluded, by verdict",
      labelNames: ["verdict"],
      registers: [registry],
    }),
    failures: new Counter({
      name: "tributary_watch_check_failures_total",
      help: "Failed watcher checks, by check",
      labelNames: ["check"],
      registers: [registry],
    }),
    vetoes: new Counter({
      name: "tributary_watch_vetoes_total",
      help: "Veto transactions the watcher sent and saw succeed",
      registers: [registry],
    }),
    lastFailed: new Gauge({
      name: "tributary_watch_last_failed_epoch",
      help: "Last epoch whose root failed a check (0: none)",
      registers: [registry],
    }),
  };
  let state: WatchState | undefined;
  let failedAny = false;
  // Distributions of concluded epochs, by content hash: the next epoch's monotonic check reads the previous one.
  const cache = new Map<Hex, Distribution>();

  const save = () => saveWatchState(config.stateFile, state!);

  async function loadState(): Promise<WatchState> {
    if (state) return state;
    const chainId = await publicClient.getChainId();
    state = loadWatchState(config.stateFile, chainId, config.splitter, config.startBlock);
    failedAny = [...state.epochs.values()].some((r) => r.status === "failed" || r.status === "vetoed");
    return state;
  }

  async function scan(s: WatchState): Promise<void> {
    const head = await publicClient.getBlockNumber({ cacheTime: 0 });
    for (const { fromBlock: from, toBlock: to } of blockRanges(s.nextBlock, head, maxBlockRange)) {
      const [proposed, vetoed] = await Promise.all([
        publicClient.getContractEvents({
          address: config.splitter,
          abi: royaltySplitterAbi,
          eventName: "RootProposed",
          fromBlock: from,
          toBlock: to,
          strict: true,
        }),
        publicClient.getContractEvents({
          address: config.splitter,
          abi: royaltySplitterAbi,
          eventName: "RootVetoed",
          fromBlock: from,
          toBlock: to,
          strict: true,
        }),
      ]);
      for (const log of proposed) {
        if (s.epochs.has(log.args.epoch)) continue;
        const block = await publicClient.getBlock({ blockNumber: log.blockNumber });
        s.epochs.set(log.args.epoch, {
          proposal: {
            epoch: log.args.epoch,
            root: log.args.root,
            contentHash: log.args.contentHash,
            readyAt: Number(log.args.readyAt),
            totals: log.args.totals.map((t) => ({ token: t.token.toLowerCase() as Address, total: t.total })),
            blockNumber: log.blockNumber,
            proposedAt: Number(block.timestamp),
          },
          status: "waiting",
          failures: [],
        });
      }
      for (const log of vetoed) {
        const r = s.epochs.get(log.args.epoch);
        if (!r) continue;
        r.status = "vetoed";
        r.vetoedBy = log.args.guardian;
      }
      s.nextBlock = to + 1n;
      save();
    }
  }

  /** The distribution of the claimable epoch before `epoch`: the last earlier proposal nobody vetoed. */
  async function previousOf(s: WatchState, epoch: number): Promise<Distribution | "none" | "unavailable"> {
    const earlier = [...s.epochs.values()]
      .filter((r) => r.proposal.epoch < epoch && r.status !== "vetoed")
      .sort((a, b) => b.proposal.epoch - a.proposal.epoch)[0];
    if (!earlier) return "none";
    const hit = cache.get(earlier.proposal.contentHash);
    if (hit) return hit;
    const fetched = await fetchCommittedFile(config.sources, earlier.proposal);
    if (fetched.kind !== "found") return "unavailable";
    cache.set(earlier.proposal.contentHash, fetched.read.distribution);
    return fetched.read.distribution;
  }

  async function veto(r: EpochRecord, now: number): Promise<Alert["action"]> {
    if (!walletClient) return "no-key";
    try {
      let hash = r.vetoTx;
      if (hash === undefined) {
        const [, pendingEpoch, readyAt] = await publicClient.readContract({
          address: config.splitter,
          abi: royaltySplitterAbi,
          functionName: "pendingRoot",
        });
        if (pendingEpoch !== r.proposal.epoch || now >= Number(readyAt)) return "too-late";
        hash = await walletClient.sendTransaction({
          to: config.splitter,
          data: encodeFunctionData({ abi: royaltySplitterAbi, functionName: "vetoRoot", args: [r.proposal.epoch] }),
        });
        // Recorded before waiting: a restart waits for this transaction instead of sending another.
        r.vetoTx = hash;
        save();
      }
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success") return "veto-failed";
      r.vetoedBy = walletClient.account.address;
      metrics.vetoes.inc();
      return "vetoed";
    } catch (err) {
      logger.error({ err, epoch: r.proposal.epoch }, "watch: veto transaction failed");
      return "veto-failed";
    }
  }

  async function alert(a: Alert): Promise<void> {
    for (const f of a.failures) metrics.failures.inc({ check: f.check });
    if (a.failures.some((f) => f.veto)) metrics.lastFailed.set(a.epoch);
    logger.error(
      { epoch: a.epoch, root: a.root, action: a.action, vetoTx: a.vetoTx, failures: a.failures },
      `watch: root of epoch ${a.epoch} failed ${a.failures.map((f) => f.check).join(", ")} (${a.action})`,
    );
    if (!config.webhookUrl) return;
    await fetch(config.webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(a),
      signal: AbortSignal.timeout(10_000),
    }).catch((err: unknown) => logger.warn({ err }, "watch: webhook failed"));
  }

  async function examine(s: WatchState, r: EpochRecord, now: number, pass: WatchPass): Promise<void> {
    const p: Proposal = r.proposal;
    let failures: CheckFailure[];
    const fetched = await fetchCommittedFile(config.sources, p);
    if (fetched.kind === "missing") {
      const deadline = Math.min(p.proposedAt + fileDeadline, p.readyAt - margin);
      if (now < deadline) {
        pass.waiting.push(p.epoch);
        return;
      }
      failures = [
        {
          check: "file-available",
          message: `no source had the file of contentHash ${p.contentHash} by ${new Date(deadline * 1000).toISOString()} (chain time)`,
          veto: true,
        },
      ];
    } else if (fetched.kind === "found") {
      failures = checkDistribution(
        p,
        fetched.read,
        { chainId: s.chainId, splitter: config.splitter },
        await previousOf(s, p.epoch),
      );
      cache.set(p.contentHash, fetched.read.distribution);
    } else {
      failures = [fetched.failure];
    }
    r.failures = failures;
    const bad = failures.some((f) => f.veto);
    // The status is saved only after the veto: a crash before it re-examines the root (and vetoes) on restart.
    const action = bad ? await veto(r, now) : "alert-only";
    r.status = !bad ? "passed" : action === "vetoed" ? "vetoed" : "failed";
    save();
    metrics.checked.inc({ verdict: r.status });
    if (failures.length > 0) {
      if (bad) failedAny = true;
      const a: Alert = { epoch: p.epoch, root: p.root, contentHash: p.contentHash, failures, action, vetoTx: r.vetoTx };
      pass.alerts.push(a);
      await alert(a);
    }
    pass.concluded.push({ epoch: p.epoch, status: r.status, failures });
  }

  async function runOnce(): Promise<WatchPass> {
    const s = await loadState();
    await scan(s);
    const now = Number((await publicClient.getBlock({ blockTag: "latest" })).timestamp);
    const pass: WatchPass = { concluded: [], waiting: [], alerts: [] };
    const open = [...s.epochs.values()]
      .filter((r) => r.status === "waiting")
      .sort((a, b) => a.proposal.epoch - b.proposal.epoch);
    for (const r of open) await examine(s, r, now, pass);
    return pass;
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;
  const tick = (): void => {
    running = runOnce()
      .then(
        () => undefined,
        (err: unknown) => logger.error({ err }, "watch pass failed; retrying next interval"),
      )
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimeout(tick, config.pollIntervalMs ?? 2_000);
      });
  };

  return {
    runOnce,
    start() {
      if (!stopped) return;
      stopped = false;
      tick();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
    epochs: () => [...(state?.epochs.values() ?? [])].map((r) => structuredClone(r)),
    registry,
    get failedAny() {
      return failedAny;
    },
  };
}

/**
 * The development stack's watcher (`WATCH_ROOTS=1 npm start`): guardian key of dev account #2, files from the
 * stack's own API, state under DATA_DIR per chain (a new development chain starts a fresh state), metrics on the
 * service's registry (so /metrics shows them).
 */
export function createDevWatcher(p: {
  clients: ChainClients;
  splitter: Address;
  startBlock: bigint;
  apiUrl: string;
  stateFile: string;
  logger: ChainLogger;
  registry: Registry;
  pollIntervalMs: number;
}): Watcher {
  return createWatcher({
    clients: p.clients,
    config: {
      splitter: p.splitter,
      startBlock: p.startBlock,
      stateFile: p.stateFile,
      sources: [apiSource(p.apiUrl)],
      pollIntervalMs: p.pollIntervalMs,
    },
    logger: p.logger,
    registry: p.registry,
  });
}
