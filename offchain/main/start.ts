/**
 * The one-command main job, top to bottom (the shape of Ponder's start command):
 * options → common (logger, metrics, shutdown) → chain (connect, or start the development stack) → database (bound
 * to that chain) → HTTP listening behind the start-up gate → loops → API.
 * `scripts/start.ts` prints what this returns; the demo and the end-to-end tests drive the same object.
 */
import type { Address } from "viem";
import { createApp, requestListener } from "../api/app";
import { splitterTokenAllowList } from "../api/services/token-allow-list";
import { bootstrapOperator } from "../api/services/roles";
import {
  createAdvisoryLock,
  createClaimWatcher,
  createDepositIndexer,
  createDevMiner,
  createRootPublisher,
  createScheduler,
  devAccounts,
  moduleConfigs,
  type ChainClients,
  type ClaimWatcher,
  type DepositIndexer,
  type DevAccount,
  type RootPublisher,
  type Scheduler,
} from "../chain";
import type { Loop } from "../chain/loop";
import type { Common } from "../common";
import { createLogger } from "../common/logger";
import { createMetrics } from "../common/metrics";
import { loadSettings, realChain, serviceConfig, type Settings } from "../config";
import { createWebhookDispatcher, type WebhookDispatcher } from "../webhooks";
import type { Db } from "../db/client";
import { createCloseStep } from "../epochs";
import { openBoundDatabase } from "./bound-database";
import path from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import { createChainClients } from "../chain/clients";
import { createDevWatcher, type Watcher } from "../watch";
import { connectChain, DEV_ROLES, startDevStack, type ChainStack } from "./chain-stack";
import { createShutdown } from "./shutdown";
import { listenGated } from "./startup-gate";

export { DEV_ROLES, devAccounts };

export type Tributary = {
  common: Common;
  db: Db;
  clients: ChainClients;
  apiUrl: string;
  rpcUrl: string;
  chainId: number;
  splitter: Address;
  /** The test stablecoin (development chain only). */
  stablecoin?: Address;
  /** Development accounts with their well-known keys (development chain only). */
  devAccounts?: DevAccount[];
  /** Development chain only: how it started (replayed from its journal, or new and why). */
  devChain?: { replayedEntries: number; replayedBlocks: number; newChain?: string; deployed: boolean };
  /** Why the embedded database was started fresh, if it was. */
  databaseReset?: string;
  indexer: DepositIndexer;
  claims: ClaimWatcher;
  publisher: RootPublisher;
  scheduler: Scheduler;
  webhooks: WebhookDispatcher;
  /** Development chain only: mines a block when the pending root matures. */
  devMiner?: Loop & { runOnce(): Promise<boolean> };
  /** The root watcher (WATCH_ROOTS=1, development chain only). */
  watcher?: Watcher;
  /** Stops the loops, the HTTP server, the chain and the database (the reverse of the start). */
  stop(): Promise<void>;
};

export type StartOptions = {
  /** Parsed settings; default: `loadSettings(env)`. */
  settings?: Settings;
  /** The environment to parse when `settings` is not given (default: the process's). */
  env?: Record<string, string | undefined>;
  /** Start the indexer / watcher / scheduler / miner loops (default true); the demo drives single passes. */
  background?: boolean;
  /** Called as soon as the API port is open, before the system is ready (the start-up test fires from here). */
  onListening?: (url: string) => void;
};

export async function startTributary(opts: StartOptions = {}): Promise<Tributary> {
  // Options.
  const settings = opts.settings ?? loadSettings(opts.env);
  const real = realChain(settings);

  // Common: logger, metrics, shutdown (everything started below registers its stop, run in reverse).
  const logger = createLogger({ level: settings.logLevel });
  const metrics = createMetrics();
  const shutdown = createShutdown();
  try {
    // Chain.
    const chain: ChainStack = real
      ? await connectChain({ ...real, startBlock: settings.chain.startBlock })
      : await startDevStack({
          dataDir: settings.database.dataDir,
          port: settings.devChain.port,
          timelockSeconds: settings.devChain.timelockSeconds,
        });
    shutdown.add(() => chain.close());

    // Database, bound to this chain.
    const { db, reset } = await openBoundDatabase({
      database: settings.database,
      clients: chain.clients,
      identity: chain.identity,
      devChain: !real,
    });
    shutdown.add(() => db.close());
    if (reset) logger.warn({ reason: reset }, "new development chain: started the embedded database fresh");

    // HTTP: listening from here, behind the start-up gate. Not earlier: loading Hardhat, the chain's replay and
    // the embedded database's migrations hold the event loop for seconds at a time, and a port that is open but
    // cannot answer is what this gate exists to prevent. The host:port bound is the SIWE domain.
    const gate = await listenGated(settings.http.port, settings.http.host);
    shutdown.add(() => gate.close());
    opts.onListening?.(`http://${gate.listening}`);
    const accounts = chain.dev?.accounts;
    const config = serviceConfig(settings, {
      chainId: chain.identity.chainId,
      splitter: chain.splitter,
      listening: gate.listening,
      rpcUrl: chain.rpcUrl,
      devOperator: accounts?.[DEV_ROLES.admin].address,
      devTreasury: accounts?.[DEV_ROLES.treasury].address,
      devReceiptKey: accounts?.[DEV_ROLES.admin].privateKey,
    });
    const common: Common = { config, logger, metrics };
    await bootstrapOperator({ prisma: db.prisma, common });

    // Loops: chain readers, publisher, scheduler, and on the development chain the miner.
    const cfg = moduleConfigs(settings.chain, chain.splitter, chain.startBlock);
    const chainCommon = { logger };
    const clients = chain.clients;
    const indexer = createDepositIndexer({ common: chainCommon, db, clients, config: cfg.deposits });
    const claims = createClaimWatcher({ common: chainCommon, db, clients, config: cfg.claims });
    const publisher = createRootPublisher({ common: chainCommon, db, clients, config: cfg.publisher });
    const scheduler = createScheduler({
      common: chainCommon,
      lock: createAdvisoryLock({ db, databaseUrl: config.database.url }),
      config: { intervalMs: settings.chain.publishIntervalMs },
      steps: [
        { name: "close", run: createCloseStep({ prisma: db.prisma, common }).run },
        { name: "publish", run: () => publisher.runOnce() },
      ],
    });
    const devMiner = chain.dev
      ? createDevMiner({
          common: chainCommon,
          clients,
          provider: chain.dev.chain.provider,
          config: { splitter: chain.splitter, intervalMs: settings.chain.pollIntervalMs },
        })
      : undefined;
    // WATCH_ROOTS=1: an independent root watcher on the development chain, with the dev guardian's key.
    const watcher =
      settings.devChain.watchRoots && chain.dev
        ? createDevWatcher({
            clients: createChainClients({
              rpcUrl: chain.rpcUrl,
              account: privateKeyToAccount(chain.dev.accounts[DEV_ROLES.guardian].privateKey),
            }),
            splitter: chain.splitter,
            startBlock: chain.startBlock,
            apiUrl: `http://${gate.listening}`,
            stateFile: path.join(settings.database.dataDir, `watch-${chain.identity.genesisHash.slice(2, 14)}.json`),
            logger,
            registry: metrics.registry,
            pollIntervalMs: settings.chain.pollIntervalMs,
          })
        : undefined;
    const webhooks = createWebhookDispatcher({ common, prisma: db.prisma, config: config.webhooks });
    const loops: Loop[] = [
      indexer,
      claims,
      publisher,
      scheduler,
      webhooks,
      ...(devMiner ? [devMiner] : []),
      ...(watcher ? [watcher] : []),
    ];
    // Stopped first (registered last), then the HTTP server, then the database and the chain they use.
    shutdown.add(() => gate.close());
    for (const loop of loops) shutdown.add(() => loop.stop());
    if (opts.background ?? true) for (const loop of loops) loop.start();

    // API + pages.
    // Offers are checked against the splitter's token allow-list, read from the chain.
    const tokens = splitterTokenAllowList({ publicClient: clients.publicClient, splitter: chain.splitter });
    gate.open(requestListener(createApp({ common, db, tokens })));
    logger.info({ url: `http://${gate.listening}` }, "ready");

    return {
      common,
      db,
      clients,
      rpcUrl: chain.rpcUrl,
      splitter: chain.splitter,
      stablecoin: chain.dev?.stablecoin,
      apiUrl: `http://${gate.listening}`,
      chainId: chain.identity.chainId,
      devAccounts: accounts,
      devChain: chain.dev && {
        replayedEntries: 0,
        replayedBlocks: 0,
        ...chain.dev.chain.journal,
        deployed: chain.dev.deployed,
      },
      databaseReset: reset,
      indexer,
      claims,
      publisher,
      scheduler,
      webhooks,
      devMiner,
      watcher,
      stop: () => shutdown.run(),
    };
  } catch (err) {
    await shutdown.run();
    throw err;
  }
}
