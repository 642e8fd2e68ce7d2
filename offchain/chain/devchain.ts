/**
 * The development chain: Hardhat's in-process network served as JSON-RPC over HTTP on 127.0.0.1, the way
 * `hardhat node` does it (hardhat/builtin-tasks/node: a JsonRpcServer around the network's provider), but from
 * our own process so `npm start` needs no second terminal. With a journal file the chain survives restarts
 * (devchain-journal.ts); without one it lives only as long as the process.
 */
import fs from "node:fs";
import type { EIP1193Provider, HardhatRuntimeEnvironment } from "hardhat/types";
import { toHex, type Address, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { ChainError } from "./errors";
import {
  journalingProvider,
  readJournal,
  replayJournal,
  writeJournalHeader,
  type JournalingProvider,
} from "./devchain-journal";

/** Hardhat's default development mnemonic (its network's accounts unless the config says otherwise). */
export const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

export type DevAccount = { address: Address; privateKey: Hex };

export type DevChain = {
  url: string;
  hostname: string;
  port: number;
  accounts: DevAccount[];
  /** With a journal: what the start replayed, or why it started a new chain. */
  journal?: { replayedEntries: number; replayedBlocks: number; newChain?: string };
  /** The provider served (journaling, when a journal is used): in-process calls are journaled too. */
  provider: EIP1193Provider;
  close(): Promise<void>;
};

/** The first `count` development accounts with their (public, well-known) private keys. */
export function devAccounts(count = 10): DevAccount[] {
  return Array.from({ length: count }, (_, i) => {
    const account = mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: i });
    const key = account.getHdKey().privateKey;
    if (!key) throw new ChainError("CHAIN_ACCOUNT_MISSING", "HD key without a private key");
    return { address: account.address, privateKey: toHex(key) };
  });
}

type JsonRpcServerLike = { listen(): Promise<{ address: string; port: number }>; close(): Promise<void> };

// Loaded lazily: requiring hardhat loads hardhat.config.ts, which only the development path needs.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const hardhat = () => require("hardhat") as HardhatRuntimeEnvironment;

/** A new in-process network from the project's Hardhat config, with its genesis block dated `initialDate`. */
async function createNetwork(initialDate: string): Promise<EIP1193Provider> {
  const hre = hardhat();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createProvider } = require("hardhat/internal/core/providers/construction") as {
    createProvider(c: HardhatRuntimeEnvironment["config"], name: string, a: unknown): Promise<EIP1193Provider>;
  };
  const networks = { ...hre.config.networks, hardhat: { ...hre.config.networks.hardhat, initialDate } };
  return createProvider({ ...hre.config, networks }, "hardhat", hre.artifacts);
}

/**
 * Opens the chain journaled in `file`: replays it when it exists and reproduces its recorded blocks, else starts a
 * new chain (the old journal, if any, kept as `<file>.previous`).
 */
async function openJournaledChain(
  file: string,
): Promise<{ provider: JournalingProvider } & Required<Pick<DevChain, "journal">>> {
  const recorded = readJournal(file);
  let newChain = "no journal yet";
  if (recorded) {
    const network = await createNetwork(recorded.header.initialDate);
    try {
      const { blocks } = await replayJournal(network, recorded.entries);
      return {
        provider: journalingProvider(network, file),
        journal: { replayedEntries: recorded.entries.length, replayedBlocks: blocks },
      };
    } catch (err) {
      newChain = err instanceof Error ? err.message : String(err);
      fs.renameSync(file, `${file}.previous`);
    }
  }
  // A genesis date other than the previous chain's, so the new chain's genesis hash differs from it.
  const previous = recorded ? Date.parse(recorded.header.initialDate) : 0;
  const initialDate = new Date(Math.max(Math.floor(Date.now() / 1000) * 1000, previous + 1000)).toISOString();
  const network = await createNetwork(initialDate);
  const chainId = Number(await network.request({ method: "eth_chainId" }));
  writeJournalHeader(file, { v: 1, chainId, initialDate });
  return { provider: journalingProvider(network, file), journal: { replayedEntries: 0, replayedBlocks: 0, newChain } };
}

/**
 * Serves `provider` (default: the in-process Hardhat network of `require("hardhat")`; with `journal`, a network of
 * its own that survives restarts through that file) on `hostname:port` (port 0 picks a free one).
 */
export async function startDevChain(
  opts: { provider?: EIP1193Provider; journal?: string; hostname?: string; port?: number } = {},
): Promise<DevChain> {
  const opened = opts.journal ? await openJournaledChain(opts.journal) : undefined;
  const provider = opened?.provider ?? opts.provider ?? hardhat().network.provider;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { JsonRpcServer } = require("hardhat/internal/hardhat-network/jsonrpc/server") as {
    JsonRpcServer: new (c: { hostname: string; port: number; provider: EIP1193Provider }) => JsonRpcServerLike;
  };
  const hostname = opts.hostname ?? "127.0.0.1";
  const server = new JsonRpcServer({ hostname, port: opts.port ?? 8545, provider });
  const { address, port } = await server.listen();
  return {
    url: `http://${address}:${port}`,
    hostname: address,
    port,
    accounts: devAccounts(),
    journal: opened?.journal,
    provider,
    close: async () => {
      await server.close();
      await opened?.provider.close();
    },
  };
}
