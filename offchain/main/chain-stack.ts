/**
 * The chain the system runs on: a configured one (RPC_URL, splitter, poster key), or the development stack — the
 * in-process chain with its journal in the data folder (so it survives restarts) and the contracts, deployed on
 * its first start and found again in `devchain.json` on the next.
 */
import path from "node:path";
import fs from "node:fs";
import type { Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  createChainClients,
  deployDevStack,
  loadPublisherAccount,
  readChainIdentity,
  startDevChain,
  type ChainClients,
  type ChainIdentity,
  type DevAccount,
  type DevChain,
  type PublisherKeySource,
} from "../chain";
import { readDevDeployment, writeDevDeployment } from "./dev-deployment";

/**
 * Development roles: account 0 deploys and administers, 1 posts roots, 2 guards; 0 is also the API's operator and
 * 9 the treasury (platform fee and rounding remainders) unless TREASURY_ADDRESS says otherwise.
 */
export const DEV_ROLES = { admin: 0, poster: 1, guardian: 2, treasury: 9 } as const;

export type ChainStack = {
  rpcUrl: string;
  /** Signing as the poster. */
  clients: ChainClients;
  identity: ChainIdentity;
  splitter: Address;
  /** First block the readers scan. */
  startBlock: bigint;
  dev?: {
    chain: DevChain;
    stablecoin: Address;
    accounts: DevAccount[];
    /** False when the contracts of a previous start were found on the replayed chain. */
    deployed: boolean;
  };
  close(): Promise<void>;
};

export async function connectChain(p: {
  rpcUrl: string;
  splitter: Address;
  key: PublisherKeySource;
  startBlock: bigint;
}): Promise<ChainStack> {
  const chainId = await createChainClients({ rpcUrl: p.rpcUrl, chainId: 1 }).publicClient.getChainId();
  const clients = createChainClients({ rpcUrl: p.rpcUrl, chainId, account: await loadPublisherAccount(p.key) });
  const identity = await readChainIdentity(clients, p.splitter);
  return { ...p, clients, identity, close: async () => undefined };
}

export async function startDevStack(p: {
  dataDir: string;
  port: number;
  timelockSeconds: number;
}): Promise<ChainStack> {
  // An in-memory database is thrown away at exit, so its chain need not outlive the process either.
  const persistent = p.dataDir !== ":memory:";
  if (persistent) fs.mkdirSync(p.dataDir, { recursive: true });
  const chain = await startDevChain({
    port: p.port,
    journal: persistent ? path.join(p.dataDir, "devchain.journal") : undefined,
  });
  try {
    const accounts = chain.accounts;
    const key = (role: keyof typeof DEV_ROLES) => privateKeyToAccount(accounts[DEV_ROLES[role]].privateKey);
    const clients = createChainClients({ rpcUrl: chain.url, account: key("poster") });
    const genesis = await clients.publicClient.getBlock({ blockNumber: 0n });
    const previous = persistent ? readDevDeployment(p.dataDir) : undefined;
    const reusable =
      previous !== undefined &&
      previous.genesisHash === genesis.hash &&
      (await clients.publicClient.getCode({ address: previous.splitter })) !== undefined;
    const stack = reusable
      ? { splitter: previous.splitter, stablecoin: previous.stablecoin, deployBlock: BigInt(previous.deployBlock) }
      : await deployDevStack({
          clients: createChainClients({ rpcUrl: chain.url, account: key("admin") }),
          poster: accounts[DEV_ROLES.poster].address,
          guardian: accounts[DEV_ROLES.guardian].address,
          timelockSeconds: p.timelockSeconds,
        });
    const identity = await readChainIdentity(clients, stack.splitter);
    if (persistent) {
      writeDevDeployment(p.dataDir, {
        chainId: identity.chainId,
        rpcUrl: chain.url,
        genesisHash: identity.genesisHash,
        splitter: stack.splitter,
        stablecoin: stack.stablecoin,
        deployBlock: stack.deployBlock.toString(),
        deployedAt: reusable ? previous.deployedAt : new Date().toISOString(),
      });
    }
    return {
      rpcUrl: chain.url,
      clients,
      identity,
      splitter: stack.splitter,
      startBlock: stack.deployBlock,
      dev: { chain, stablecoin: stack.stablecoin, accounts, deployed: !reusable },
      close: () => chain.close(),
    };
  } catch (err) {
    await chain.close();
    throw err;
  }
}
