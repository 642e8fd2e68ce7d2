/**
 * The claim path shared by the creator and buyer pages: an account's leaves from `GET /v1/proofs/:account` beside
 * what the chain says (live or pending root, claimed so far), and one `claim` (one token) or `claimBatch` (several)
 * transaction against the claimable root, with progress and a plain sentence for every failure. A buyer's refunds
 * are ordinary leaves, so they are claimed exactly like a creator's royalties.
 */
import type { Address, Hex } from "viem";
import { api, type WebConfig } from "./api";
import { readClaimed, readRoots, royaltySplitterAbi, sameHex, tokenInfo, type Roots } from "./chain";
import { setStatus, short } from "./dom";
import { formatAmount, formatTime, type TokenInfo } from "./format";
import { describeError, isUserRejection, revertOf, type Wallet } from "./wallet";
import { wrongNetworkNow, type WalletSection } from "./wallet-section";

export type Proof = {
  token: Address;
  cumulative: string;
  claimed: string;
  claimable: string;
  proof: Hex[];
  epoch: number;
  root: Hex;
  epochStatus: string;
};
export type ClaimRow = Proof & {
  info: TokenInfo;
  claimedOnChain: bigint;
  claimableNow: bigint;
  state: "live" | "pending" | "unposted";
};
export type ClaimView = { rows: ClaimRow[]; roots: Roots };

/** The account's leaves, each with its root's state on chain and what it can claim now (the chain decides). */
export async function readClaimView(w: Wallet, splitter: Address): Promise<ClaimView> {
  const { proofs } = await api.get<{ proofs: Proof[] }>(`/v1/proofs/${w.address}`);
  const roots = await readRoots(w.publicClient, splitter);
  const rows = await Promise.all(
    proofs.map(async (p): Promise<ClaimRow> => {
      const [info, claimedOnChain] = await Promise.all([
        tokenInfo(w.publicClient, p.token),
        readClaimed(w.publicClient, splitter, w.address, p.token),
      ]);
      const state = sameHex(p.root, roots.claimable.root)
        ? "live"
        : sameHex(p.root, roots.pending.root)
          ? "pending"
          : "unposted";
      const cumulative = BigInt(p.cumulative);
      const claimableNow = state === "live" && cumulative > claimedOnChain ? cumulative - claimedOnChain : 0n;
      return { ...p, info, claimedOnChain, claimableNow, state };
    }),
  );
  return { rows, roots };
}

export function claimStateText(row: ClaimRow, roots: Roots): string {
  if (row.state === "live") return row.claimableNow > 0n ? "Claimable now" : "All claimed";
  if (row.state === "pending") return `Root pending until ${formatTime(roots.pending.readyAt)}`;
  return "Root not posted on-chain yet";
}

export type ClaimContext = {
  config: WebConfig;
  section: WalletSection;
  status: HTMLElement;
  /** Reloads the page's view (and redraws it); the claim decides on the fresh rows it returns (none: signed out). */
  reload(): Promise<ClaimView | undefined>;
};

/** Claims `tokens` (one row, or all rows) in one transaction; every failure ends in a sentence in `status`. */
export async function claimTokens(ctx: ClaimContext, tokens: Address[]): Promise<void> {
  const w = ctx.section.current();
  const el = ctx.status;
  if (!w) return setStatus(el, "error", "Connect your wallet and sign in first.");
  try {
    setStatus(el, "progress", "Checking the chain…");
    const wrong = await wrongNetworkNow(w, ctx.config);
    if (wrong) {
      ctx.section.showSwitch();
      return setStatus(el, "error", wrong);
    }
    const view = await ctx.reload();
    if (!view) return setStatus(el, "error", "Connect your wallet and sign in first.");
    const { rows, roots } = view;
    const fresh = rows.filter((r) => tokens.some((t) => sameHex(t, r.token)));
    const ready = fresh.filter((r) => r.state === "live" && r.claimableNow > 0n);
    if (ready.length === 0) {
      const pending = fresh.find((r) => r.state === "pending");
      if (pending)
        return setStatus(
          el,
          "warn",
          `Root not claimable yet: the root of epoch ${roots.pending.epoch} becomes claimable at ${formatTime(roots.pending.readyAt)}. Try again after that time.`,
        );
      if (fresh.some((r) => r.state === "unposted"))
        return setStatus(
          el,
          "warn",
          `Root not claimable yet: the root of epoch ${fresh[0]?.epoch} has not been posted on-chain.`,
        );
      return setStatus(el, "info", `Nothing to claim: everything allocated to ${w.address} has already been claimed.`);
    }
    const what = ready.map((r) => formatAmount(r.claimableNow, r.info)).join(" + ");
    const single = ready.length === 1 && tokens.length === 1;
    setStatus(el, "progress", `Step 1 of 3: confirm the claim of ${what} in your wallet…`);
    const hash = single
      ? await w.walletClient.writeContract({
          chain: null,
          account: w.address,
          address: ctx.config.splitter,
          abi: royaltySplitterAbi,
          functionName: "claim",
          args: [w.address, ready[0].token, BigInt(ready[0].cumulative), ready[0].proof],
        })
      : await w.walletClient.writeContract({
          chain: null,
          account: w.address,
          address: ctx.config.splitter,
          abi: royaltySplitterAbi,
          functionName: "claimBatch",
          args: [
            ready.map((r) => ({
              account: w.address,
              token: r.token,
              cumulativeAmount: BigInt(r.cumulative),
              proof: r.proof,
            })),
          ],
        });
    setStatus(el, "progress", "Step 2 of 3: transaction sent, waiting for it to be mined… ", short(hash));
    const receipt = await w.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success")
      return setStatus(el, "error", "The claim transaction reverted on-chain.", " ", short(hash));
    // Redrawn before the success is reported: a reader (or a test) acting on "claimed" must see the claimed row.
    const redrawn = await ctx.reload().then(
      () => "",
      () => " The view could not be refreshed: reload the page to see it.",
    );
    setStatus(
      el,
      "ok",
      `Step 3 of 3: claimed ${what} in block ${receipt.blockNumber} (${single ? "claim" : "claimBatch"}).${redrawn}`,
      " ",
      short(hash),
    );
  } catch (err) {
    setStatus(el, "error", claimFailure(err));
  }
}

function claimFailure(err: unknown): string {
  if (isUserRejection(err)) return "Transaction rejected in your wallet: nothing was sent.";
  const r = revertOf(err);
  if (r?.name === "RoyaltySplitterNoClaimableRoot")
    return "Root not claimable yet: no root has passed its timelock on-chain.";
  if (r?.name === "RoyaltySplitterNothingToClaim")
    return "Nothing to claim: the contract says this amount was already claimed.";
  if (r?.name === "RoyaltySplitterInvalidProof")
    return "The proof matches neither the on-chain root nor the one it replaced within the last hour: reload and try again.";
  if (r?.name === "RoyaltySplitterRootSuperseded")
    return "The current root was superseded by a correction that is still in its timelock; claims resume when it matures.";
  if (r?.name === "RoyaltySplitterPaused") return "Claims are paused by the guardian; try again later.";
  return `Claim failed. ${describeError(err)}`;
}
