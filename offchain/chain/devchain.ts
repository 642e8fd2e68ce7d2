/**
 * The development chain: Hardhat's in-process network served as JSON-RPC over HTTP on 127.0.0.1, the way
 * `hardhat node` does it (hardhat/builtin-tasks/node: a JsonRpcServer around the network's provider), but from
 * our own process so `npm start` needs no second terminal. The chain lives only as long as the process.
 */
import type { EIP1193Provider } from "hardhat/types";
import { toHex, type Address, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";

/** Hardhat's default development mnemonic (its network's accounts unless the config says otherwise). */
export const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

export type DevAccount = { address: Address; privateKey: Hex };

export type DevChain = { url: string; hostname: string; port: number; accounts: DevAccount[]; close(): Promise<void> };

/** The first `count` development accounts with their (public, well-known) private keys. */
export function devAccounts(count = 10): DevAccount[] {
  return Array.from({ length: count }, (_, i) => {
    const account = mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: i });
    const key = account.getHdKey().privateKey;
    if (!key) throw new Error("HD key without a private key");
    return { address: account.address, privateKey: toHex(key) };
  });
}

type JsonRpcServerLike = { listen(): Promise<{ address: string; port: number }>; close(): Promise<void> };

/**
 * Serves `provider` (default: the in-process Hardhat network of `require("hardhat")`) on `hostname:port`
 * (port 0 picks a free one).
 */
export async function startDevChain(
  opts: { provider?: EIP1193Provider; hostname?: string; port?: number } = {},
): Promise<DevChain> {
  // Loaded lazily: requiring hardhat loads hardhat.config.ts, which only the development path needs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const provider = opts.provider ?? (require("hardhat") as { network: { provider: EIP1193Provider } }).network.provider;
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
    close: () => server.close(),
  };
}
