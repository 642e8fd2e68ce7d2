/**
 * viem clients for one chain: a public client for reads and logs, and (when an account is given) a wallet
 * client that signs locally. Everything in offchain/chain takes a ChainClients, never a URL.
 */
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  type Account,
  type Chain,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { hardhat } from "viem/chains";

export type ChainClients = {
  chain: Chain;
  publicClient: PublicClient<Transport, Chain>;
  /** Present when an account was given. */
  walletClient?: WalletClient<Transport, Chain, Account>;
};

export type CreateChainClientsParameters = {
  /** JSON-RPC endpoint; ignored when `transport` is given (tests pass the in-process provider). */
  rpcUrl?: string;
  transport?: Transport;
  account?: Account;
  /** Defaults to 31337 (Hardhat). */
  chainId?: number;
  /** Log/receipt polling interval; short on the development chain. */
  pollingIntervalMs?: number;
};

/**
 * Creates the public (and wallet) client for `rpcUrl`.
 * @example
 * const clients = createChainClients({ rpcUrl: "http://127.0.0.1:8545", account: privateKeyToAccount(key) });
 */
export function createChainClients(params: CreateChainClientsParameters): ChainClients {
  const chainId = params.chainId ?? hardhat.id;
  const transport = params.transport ?? http(params.rpcUrl ?? "http://127.0.0.1:8545");
  const chain: Chain =
    chainId === hardhat.id
      ? hardhat
      : defineChain({
          id: chainId,
          name: `chain-${chainId}`,
          nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
          rpcUrls: { default: { http: params.rpcUrl ? [params.rpcUrl] : [] } },
        });
  const pollingInterval = params.pollingIntervalMs ?? (chainId === hardhat.id ? 200 : 4_000);
  const publicClient = createPublicClient({ chain, transport, pollingInterval });
  const walletClient = params.account
    ? createWalletClient({ chain, transport, account: params.account, pollingInterval })
    : undefined;
  return { chain, publicClient, walletClient };
}
