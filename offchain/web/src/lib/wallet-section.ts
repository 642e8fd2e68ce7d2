/**
 * The "wallet and sign-in" section shared by the creator and buyer pages: connect (with the wrong-network
 * message and a switch button), SIWE sign-in (with the rejected-signature message), account/chain changes.
 */
import { setSessionToken, type WebConfig } from "./api";
import { byId, setStatus } from "./dom";
import {
  connectWallet,
  describeError,
  isUserRejection,
  signInWithEthereum,
  switchNetwork,
  WrongNetworkError,
  type Wallet,
} from "./wallet";

export type WalletSection = { current(): Wallet | undefined; showSwitch(): void };

/** Wires #connect, #switch-network, #sign-in, #wallet-status and #auth-status; calls `onSignedIn` after sign-in. */
export function wireWalletSection(
  config: WebConfig,
  onSignedIn: (wallet: Wallet, me: { address: string; roles: string[] }) => Promise<void>,
): WalletSection {
  const connectBtn = byId<HTMLButtonElement>("connect");
  const switchBtn = byId<HTMLButtonElement>("switch-network");
  const signInBtn = byId<HTMLButtonElement>("sign-in");
  const walletStatus = byId("wallet-status");
  const authStatus = byId("auth-status");
  let wallet: Wallet | undefined;

  async function connect(): Promise<void> {
    switchBtn.hidden = true;
    setStatus(walletStatus, "progress", "Asking your wallet for an account…");
    try {
      wallet = await connectWallet(config);
      setStatus(walletStatus, "ok", `Connected as ${wallet.address} on chain ${wallet.chainId}.`);
      signInBtn.disabled = false;
    } catch (err) {
      wallet = undefined;
      signInBtn.disabled = true;
      if (err instanceof WrongNetworkError) {
        setStatus(walletStatus, "error", err.message);
        switchBtn.hidden = false;
      } else
        setStatus(
          walletStatus,
          "error",
          isUserRejection(err) ? "You declined the connection request in your wallet." : describeError(err),
        );
    }
  }

  async function signIn(): Promise<void> {
    if (!wallet) return;
    setStatus(authStatus, "progress", "Sign the sign-in message in your wallet…");
    let me: Awaited<ReturnType<typeof signInWithEthereum>>;
    try {
      me = await signInWithEthereum(wallet);
    } catch (err) {
      setSessionToken(null);
      if (isUserRejection(err)) {
        return setStatus(
          authStatus,
          "error",
          "Signature rejected: you declined to sign the sign-in message, so you are not signed in. Press “Sign in” to try again.",
        );
      }
      return setStatus(authStatus, "error", `Sign-in failed. ${describeError(err)}`);
    }
    setStatus(authStatus, "ok", `Signed in as ${me.address} (roles: ${me.roles.join(", ") || "none"}).`);
    await onSignedIn(wallet, me).catch((err) =>
      setStatus(authStatus, "error", `Signed in, but loading your data failed. ${describeError(err)}`),
    );
  }

  connectBtn.onclick = () => void connect();
  switchBtn.onclick = () =>
    void switchNetwork(config).then(connect, (err) =>
      setStatus(walletStatus, "error", `Could not switch network. ${describeError(err)}`),
    );
  signInBtn.onclick = () => void signIn();
  window.ethereum?.on?.("accountsChanged", () => {
    wallet = undefined;
    setSessionToken(null);
    signInBtn.disabled = true;
    setStatus(walletStatus, "info", "Your wallet account changed: connect and sign in again.");
  });
  window.ethereum?.on?.("chainChanged", () => {
    if (wallet) setStatus(walletStatus, "info", "Your wallet's network changed: connect again.");
    wallet = undefined;
    signInBtn.disabled = true;
  });
  return { current: () => wallet, showSwitch: () => void (switchBtn.hidden = false) };
}

/** Re-checks the wallet's chain right before a transaction; returns the error sentence, or undefined. */
export async function wrongNetworkNow(wallet: Wallet, config: WebConfig): Promise<string | undefined> {
  const chainId = Number(await wallet.provider.request({ method: "eth_chainId" }));
  return chainId === config.chainId ? undefined : new WrongNetworkError(chainId, config.chainId).message;
}
