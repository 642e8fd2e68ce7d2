/**
 * Where the CLI's commands find the system: the API (--api, TRIBUTARY_API, default http://127.0.0.1:8080); the
 * chain and splitter (--rpc / RPC_URL, --splitter / SPLITTER_ADDRESS, else what the API's /web-config.json says);
 * the signing key when a command sends a transaction or signs in (PRIVATE_KEY, or KEYSTORE_PATH +
 * KEYSTORE_PASSWORD — an ethers keystore).
 */
import type { Address } from "viem";
import type { LocalAccount } from "viem/accounts";
import { createChainClients, loadPublisherAccount, type ChainClients } from "../chain";
import type { Db } from "../db/client";
import { createApiClient, type ApiClient } from "./api-client";

export type GlobalOptions = { api?: string; rpc?: string; splitter?: string; json?: boolean };

export type Context = {
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

export async function resolveContext(
  opts: GlobalOptions,
  env: Record<string, string | undefined> = process.env,
): Promise<Context> {
  const api = createApiClient((opts.api ?? env.TRIBUTARY_API ?? "http://127.0.0.1:8080").replace(/\/$/, ""));
  let rpcUrl = opts.rpc ?? env.RPC_URL;
  let splitter = (opts.splitter ?? env.SPLITTER_ADDRESS) as Address | undefined;
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
  if (!rpcUrl) throw new Error("no JSON-RPC URL: pass --rpc or set RPC_URL");
  const url = rpcUrl;
  chainId ??= await createChainClients({ rpcUrl: url }).publicClient.getChainId();
  const id = chainId;
  let account: Promise<LocalAccount> | undefined;
  const loadAccount = () => {
    account ??= (async () => {
      if (env.KEYSTORE_PATH)
        return loadPublisherAccount({ keystorePath: env.KEYSTORE_PATH, password: env.KEYSTORE_PASSWORD ?? "" });
      if (env.PRIVATE_KEY) return loadPublisherAccount({ privateKey: env.PRIVATE_KEY });
      throw new Error("this command signs: set PRIVATE_KEY, or KEYSTORE_PATH and KEYSTORE_PASSWORD");
    })();
    return account;
  };
  return {
    api,
    rpcUrl: url,
    chainId: id,
    splitter: splitter!,
    async clients() {
      const hasKey = Boolean(env.KEYSTORE_PATH || env.PRIVATE_KEY);
      return createChainClients({ rpcUrl: url, chainId: id, account: hasKey ? await loadAccount() : undefined });
    },
    account: loadAccount,
    async openDb() {
      const { openDatabase } = await import("../db/client");
      return openDatabase({ url: env.DATABASE_URL, dataDir: env.DATA_DIR ?? ".data" });
    },
  };
}
