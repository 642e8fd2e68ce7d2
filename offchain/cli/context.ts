/**
 * Where the CLI's commands find the system: the API (--api, else TRIBUTARY_API); the chain and splitter (--rpc /
 * RPC_URL, --splitter / SPLITTER_ADDRESS, else what the API's /web-config.json says); the signing key when a
 * command sends a transaction or signs in (PRIVATE_KEY, or KEYSTORE_PATH + KEYSTORE_PASSWORD — an ethers
 * keystore). The variables are read once, by offchain/config.
 */
import type { Address } from "viem";
import type { LocalAccount } from "viem/accounts";
import { createChainClients, loadPublisherAccount, type ChainClients } from "../chain";
import { loadSettings, type Settings } from "../config";
import type { Db } from "../db/client";
import { createApiClient, type ApiClient } from "./api-client";
import { CliError } from "./errors";

export type GlobalOptions = { api?: string; rpc?: string; splitter?: string; json?: boolean };

export type Context = {
  settings: Settings;
  api: ApiClient;
  rpcUrl: string;
  chainId: number;
  splitter: Address;
  /** Read-only clients, or signing ones when a key is configured. */
  clients(): Promise<ChainClients>;
  account(): Promise<LocalAccount>;
  /** The service database (for `epoch publish`): DATABASE_URL, else the embedded one in DATA_DIR. */
  openDb(): Promise<Db>;
};

export async function resolveContext(opts: GlobalOptions, env?: Record<string, string | undefined>): Promise<Context> {
  const settings = loadSettings(env);
  const api = createApiClient((opts.api ?? settings.apiUrl).replace(/\/$/, ""));
  let rpcUrl = opts.rpc ?? settings.chain.rpcUrl;
  let splitter = (opts.splitter ?? settings.splitterAddress) as Address | undefined;
  let chainId: number | undefined;
  if (!rpcUrl || !splitter) {
    const web = await api.call<{ chainId: number; splitter: Address; rpcUrl: string | null }>(
      "GET",
      "/web-config.json",
    );
    rpcUrl ??= web.rpcUrl ?? undefined;
    splitter ??= web.splitter;
    chainId = web.chainId;
  }
  if (!rpcUrl) throw new CliError("CLI_CONFIG_MISSING", "no JSON-RPC URL: pass --rpc or set RPC_URL");
  const url = rpcUrl;
  chainId ??= await createChainClients({ rpcUrl: url }).publicClient.getChainId();
  const id = chainId;
  const key = settings.key;
  let account: Promise<LocalAccount> | undefined;
  const loadAccount = () => {
    account ??= key
      ? loadPublisherAccount(key)
      : Promise.reject(
          new CliError(
            "CLI_CONFIG_MISSING",
            "this command signs: set PRIVATE_KEY, or KEYSTORE_PATH and KEYSTORE_PASSWORD",
          ),
        );
    return account;
  };
  return {
    settings,
    api,
    rpcUrl: url,
    chainId: id,
    splitter: splitter!,
    async clients() {
      return createChainClients({ rpcUrl: url, chainId: id, account: key ? await loadAccount() : undefined });
    },
    account: loadAccount,
    async openDb() {
      const { openDatabase } = await import("../db/client");
      return openDatabase(settings.database);
    },
  };
}
