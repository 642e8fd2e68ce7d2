/**
 * The one-command main job, top to bottom: config → logger → chain (development or real) → database (bound to
 * that chain) → deposit indexer, claim watcher, root publisher, scheduler → API + web pages.
 * `scripts/start.ts` prints what this returns; the demo and the end-to-end test drive the same object.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  createAdvisoryLock,
  createChainClients,
  createClaimWatcher,
  createDepositIndexer,
  createRootPublisher,
  createScheduler,
  deployDevStack,
  devAccounts,
  loadPublisherAccount,
  moduleConfigs,
  readChainIdentity,
  startDevChain,
  type ChainClients,
  type ClaimWatcher,
  type DepositIndexer,
  type DevAccount,
  type RootPublisher,
  type Scheduler,
} from "../chain";
import { createApp } from "../api/app";
import { bootstrapOperator } from "../api/services/roles";
import { createCommon, type Common } from "../common";
import { loadConfig } from "../config";
import type { Db } from "../db/client";
import { createCloseStep } from "../epochs";
import { openBoundDatabase } from "./bound-database";
import { loadMainConfig } from "./config";
import { writeDevDeployment } from "./dev-deployment";
import { createWebhookDispatcher, type WebhookDispatcher } from "../webhooks";

/**
 * Development roles: account 0 deploys and administers, 1 posts roots, 2 guards; 0 is also the API's operator and
 * 9 the treasury (platform fee and rounding remainders) unless TREASURY_ADDRESS says otherwise.
 */
export const DEV_ROLES = { admin: 0, poster: 1, guardian: 2, treasury: 9 } as const;

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
  /** Why the embedded database was started fresh, if it was. */
  databaseReset?: string;
  indexer: DepositIndexer;
  claims: ClaimWatcher;
  publisher: RootPublisher;
  scheduler: Scheduler;
  webhooks: WebhookDispatcher;
  /** Stops the loops, the HTTP servers, the chain and the database (in that order). */
  stop(): Promise<void>;
};

export type StartOptions = {
  env?: Record<string, string | undefined>;
  /** Start the indexer / watcher / scheduler loops (default true); the demo drives single passes instead. */
  background?: boolean;
};

export async function startTributary(opts: StartOptions = {}): Promise<Tributary> {
  const env = opts.env ?? process.env;
  const main = loadMainConfig(env);
  const cleanup: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  };
  try {
    // Chain: the in-process development network served on 127.0.0.1, or the configured RPC endpoint.
    let rpcUrl: string;
    let splitter: Address;
    let stablecoin: Address | undefined;
    let startBlock = main.chain.startBlock;
    let publisherClients: ChainClients;
    let accounts: DevAccount[] | undefined;
    if (main.real) {
      rpcUrl = main.real.rpcUrl;
      splitter = main.real.splitter;
      const probe = createChainClients({ rpcUrl, chainId: 1 });
      const chainId = await probe.publicClient.getChainId();
      publisherClients = createChainClients({ rpcUrl, chainId, account: await loadPublisherAccount(main.real.key) });
    } else {
      const chain = await startDevChain({ port: main.chain.devChainPort });
      cleanup.push(() => chain.close());
      rpcUrl = chain.url;
      accounts = chain.accounts;
      const admin = createChainClients({ rpcUrl, account: privateKeyToAccount(accounts[DEV_ROLES.admin].privateKey) });
      const stack = await deployDevStack({
        clients: admin,
        poster: accounts[DEV_ROLES.poster].address,
        guardian: accounts[DEV_ROLES.guardian].address,
        timelockSeconds: main.devTimelockSeconds,
      });
      ({ splitter, stablecoin } = stack);
      startBlock = stack.deployBlock;
      publisherClients = createChainClients({
        rpcUrl,
        account: privateKeyToAccount(accounts[DEV_ROLES.poster].privateKey),
      });
    }
    const clients = publisherClients;
    const identity = await readChainIdentity(clients, splitter);
    if (!main.real && stablecoin) {
      writeDevDeployment(main.dataDir, {
        chainId: identity.chainId,
        rpcUrl,
        genesisHash: identity.genesisHash,
        splitter,
        stablecoin,
        deployBlock: startBlock.toString(),
        deployedAt: new Date().toISOString(),
      });
    }

    // HTTP first: the pages' SIWE domain is the host actually bound (PORT=0 picks a free port).
    const server = http.createServer();
    // The dev treasury is known before the config is read, so a platform fee always has a claimable recipient.
    const treasury = env.TREASURY_ADDRESS ?? accounts?.[DEV_ROLES.treasury].address;
    const wanted = loadConfig({ ...env, TREASURY_ADDRESS: treasury });
    await new Promise<void>((resolve, reject) =>
      server.once("error", reject).listen(wanted.http.port, wanted.http.host, () => resolve()),
    );
    let serverOpen = true;
    const closeServer = async () => {
      if (!serverOpen) return;
      serverOpen = false;
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    };
    cleanup.push(closeServer); // a failure before the loops start; otherwise closed before the database, below
    const host = `${wanted.http.host}:${(server.address() as AddressInfo).port}`;
    const config = loadConfig({
      ...env,
      CHAIN_ID: String(identity.chainId),
      SPLITTER_ADDRESS: splitter,
      WEB_RPC_URL: env.WEB_RPC_URL ?? rpcUrl,
      SIWE_DOMAIN: env.SIWE_DOMAIN ?? host,
      BOOTSTRAP_OPERATOR: env.BOOTSTRAP_OPERATOR ?? accounts?.[DEV_ROLES.admin].address,
      TREASURY_ADDRESS: treasury,
      // Development: consent receipts signed with the admin's well-known key, so they verify across restarts.
      RECEIPT_SIGNER_KEY: env.RECEIPT_SIGNER_KEY ?? accounts?.[DEV_ROLES.admin].privateKey,
    });
    const common = createCommon(config);

    // Database, bound to this chain.
    const { db, reset } = await openBoundDatabase({
      database: config.database,
      clients,
      identity,
      devChain: !main.real,
    });
    cleanup.push(() => db.close());
    if (reset) common.logger.warn({ reason: reset }, "new development chain: started the embedded database fresh");
    await bootstrapOperator({ prisma: db.prisma, common });

    // Chain readers, publisher and scheduler.
    const cfg = moduleConfigs(main.chain, splitter, startBlock);
    const chainCommon = { logger: common.logger };
    const indexer = createDepositIndexer({ common: chainCommon, db, clients, config: cfg.deposits });
    const claims = createClaimWatcher({ common: chainCommon, db, clients, config: cfg.claims });
    const publisher = createRootPublisher({ common: chainCommon, db, clients, config: cfg.publisher });
    const scheduler = createScheduler({
      common: chainCommon,
      lock: createAdvisoryLock({ db, databaseUrl: config.database.url }),
      config: { intervalMs: main.chain.publishIntervalMs },
      steps: [
        { name: "close", run: createCloseStep({ prisma: db.prisma, common }).run },
        { name: "publish", run: () => publisher.runOnce() },
      ],
    });
    const webhooks = createWebhookDispatcher({ common, prisma: db.prisma, config: config.webhooks });
    cleanup.push(() => scheduler.stop());
    cleanup.push(() => webhooks.stop());
    cleanup.push(() => publisher.stop());
    cleanup.push(() => claims.stop());
    cleanup.push(() => indexer.stop());
    cleanup.push(closeServer);
    if (opts.background ?? true) {
      indexer.start();
      claims.start();
      publisher.start();
      scheduler.start();
      webhooks.start();
    }

    // API + pages.
    server.on("request", createApp({ common, db }));

    return {
      common,
      db,
      clients,
      rpcUrl,
      splitter,
      stablecoin,
      apiUrl: `http://${host}`,
      chainId: identity.chainId,
      devAccounts: accounts,
      databaseReset: reset,
      indexer,
      claims,
      publisher,
      scheduler,
      webhooks,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

export { devAccounts };
