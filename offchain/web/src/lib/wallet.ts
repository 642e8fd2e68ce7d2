/**
 * The injected wallet (EIP-1193 `window.ethereum`) through viem: connecting, the network check, SIWE
 * sign-in against the API, and turning wallet/contract failures into plain sentences.
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  custom,
  UserRejectedRequestError,
  type Address,
  type EIP1193Provider,
  type PublicClient,
  type WalletClient,
} from "viem";
import { createSiweMessage } from "viem/siwe";
import { api, setSessionToken, type WebConfig } from "./api";
import { WebError } from "./errors";

declare global {
  interface Window {
    ethereum?: EIP1193Provider;
  }
}

export type Wallet = {
  address: Address;
  chainId: number;
  provider: EIP1193Provider;
  walletClient: WalletClient;
  publicClient: PublicClient;
};

export class WrongNetworkError extends WebError {
  override readonly name = "WrongNetworkError";
  constructor(
    readonly actual: number,
    readonly expected: number,
  ) {
    super(
      "WEB_WRONG_NETWORK",
      `Wrong network: your wallet is on chain ${actual}, Tributary runs on chain ${expected}. Switch the wallet's network, then connect again.`,
    );
  }
}

export class NoWalletError extends WebError {
  override readonly name = "NoWalletError";
  constructor() {
    super(
      "WEB_WALLET_MISSING",
      "No browser wallet found: install or unlock an Ethereum wallet (EIP-1193), then reload.",
    );
  }
}

/** Asks the wallet for an account and checks its network; throws WrongNetworkError on another chain. */
export async function connectWallet(config: WebConfig): Promise<Wallet> {
  const provider = window.ethereum;
  if (!provider) throw new NoWalletError();
  const [address] = (await provider.request({ method: "eth_requestAccounts" })) as Address[];
  if (!address) throw new WebError("WEB_WALLET_MISSING", "The wallet returned no account.");
  const chainId = Number(await provider.request({ method: "eth_chainId" }));
  if (chainId !== config.chainId) throw new WrongNetworkError(chainId, config.chainId);
  const transport = custom(provider);
  return {
    address,
    chainId,
    provider,
    walletClient: createWalletClient({ account: address, transport }),
    publicClient: createPublicClient({ transport, pollingInterval: 250 }),
  };
}

/** Asks the wallet to switch to the configured chain (EIP-3326). */
export async function switchNetwork(config: WebConfig): Promise<void> {
  const provider = window.ethereum;
  if (!provider) throw new NoWalletError();
  await provider.request({
    method: "wallet_switchEthereumChain",
    params: [{ chainId: `0x${config.chainId.toString(16)}` }],
  });
}

/** Signs an EIP-4361 message for this page's origin and exchanges it for an API session. */
export async function signInWithEthereum(wallet: Wallet): Promise<{ address: string; roles: string[] }> {
  const { nonce } = await api.post<{ nonce: string }>("/v1/auth/nonce");
  const message = createSiweMessage({
    domain: location.host,
    address: wallet.address,
    statement: "Sign in to Tributary",
    uri: location.origin,
    version: "1",
    chainId: wallet.chainId,
    nonce,
    issuedAt: new Date(),
  });
  const signature = await wallet.walletClient.signMessage({ account: wallet.address, message });
  const session = await api.post<{ token: string }>("/v1/auth/verify", { message, signature });
  setSessionToken(session.token);
  return api.get<{ address: string; roles: string[] }>("/v1/auth/me");
}

/** True when the user declined in the wallet (EIP-1193 code 4001), however deep viem wrapped it. */
export function isUserRejection(err: unknown): boolean {
  if (err instanceof BaseError && err.walk((e) => e instanceof UserRejectedRequestError)) return true;
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === "object"; i++) {
    if ((e as { code?: unknown }).code === 4001) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** The custom error name and arguments of a reverted contract call, if viem could decode them. */
export function revertOf(err: unknown): { name: string; args: readonly unknown[] } | undefined {
  if (!(err instanceof BaseError)) return undefined;
  const r = err.walk((e) => e instanceof ContractFunctionRevertedError);
  if (r instanceof ContractFunctionRevertedError && r.data) return { name: r.data.errorName, args: r.data.args ?? [] };
  return undefined;
}

/** A one-line reason for any failure, for status boxes. */
export function describeError(err: unknown): string {
  if (isUserRejection(err)) return "You rejected the request in your wallet; nothing was signed or sent.";
  const r = revertOf(err);
  if (r) return `The contract refused: ${r.name}(${r.args.map(String).join(", ")}).`;
  if (err instanceof BaseError) return err.shortMessage;
  return err instanceof Error ? err.message : String(err);
}
