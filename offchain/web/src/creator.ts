/**
 * Creator page: connect the injected wallet, sign in with Ethereum, see earnings per epoch and token and what
 * is claimable now (read from the chain), datasets with consent status, and claim one token or all tokens in
 * one transaction (claimBatch), with progress and a plain message for every failure.
 */
import type { Address, Hex } from "viem";
import { api, loadWebConfig, ApiProblemError, type WebConfig } from "./lib/api";
import { readClaimed, readRoots, royaltySplitterAbi, sameHex, tokenInfo, type Roots } from "./lib/chain";
import { byId, h, setStatus, short, table } from "./lib/dom";
import { formatAmount, formatTime, type TokenInfo } from "./lib/format";
import { describeError, isUserRejection, revertOf, type Wallet } from "./lib/wallet";
import { wireWalletSection, wrongNetworkNow, type WalletSection } from "./lib/wallet-section";
import { drawWebhooks } from "./lib/webhooks";

type Proof = {
  token: Address;
  cumulative: string;
  claimed: string;
  claimable: string;
  proof: Hex[];
  epoch: number;
  root: Hex;
  epochStatus: string;
};
type Row = Proof & {
  info: TokenInfo;
  claimedOnChain: bigint;
  claimableNow: bigint;
  state: "live" | "pending" | "unposted";
};

const el = {
  claims: byId("claims"),
  claimAll: byId<HTMLButtonElement>("claim-all"),
  claim: byId("claim-status"),
  earnings: byId("earnings"),
  datasets: byId("datasets"),
};
let config: WebConfig;
let section: WalletSection;
let wallet: Wallet | undefined;
let rows: Row[] = [];
let roots: Roots | undefined;

/** Reloads the API's view and the chain's, then redraws. */
async function refresh(): Promise<void> {
  wallet = section.current();
  if (!wallet) return;
  const w = wallet;
  const { proofs } = await api.get<{ proofs: Proof[] }>(`/v1/proofs/${w.address}`);
  roots = await readRoots(w.publicClient, config.splitter);
  const r = roots;
  rows = await Promise.all(
    proofs.map(async (p) => {
      const [info, claimedOnChain] = await Promise.all([
        tokenInfo(w.publicClient, p.token),
        readClaimed(w.publicClient, config.splitter, w.address, p.token),
      ]);
      const state = sameHex(p.root, r.claimable.root)
        ? "live"
        : sameHex(p.root, r.pending.root)
          ? "pending"
          : "unposted";
      const cumulative = BigInt(p.cumulative);
      const claimableNow = state === "live" && cumulative > claimedOnChain ? cumulative - claimedOnChain : 0n;
      return { ...p, info, claimedOnChain, claimableNow, state } as Row;
    }),
  );
  drawClaims();
  await Promise.all([drawEarnings(), drawDatasets()]);
  // Lets a watcher (and the browser tests) tell a finished refresh from the previous one.
  el.claims.dataset.version = String(Number(el.claims.dataset.version ?? "0") + 1);
}

function stateText(row: Row): string {
  if (row.state === "live") return row.claimableNow > 0n ? "Claimable now" : "All claimed";
  if (row.state === "pending") return `Root pending until ${formatTime(roots!.pending.readyAt)}`;
  return "Root not posted on-chain yet";
}

function drawClaims(): void {
  if (rows.length === 0) {
    el.claims.replaceChildren(h("p", {}, "No allocations for this address yet."));
    return;
  }
  el.claims.replaceChildren(
    table(
      ["Token", "Epoch", "Cumulative", "Claimed", "Claimable now", "Status", ""],
      rows.map((r) => [
        h("span", {}, r.info.symbol, " ", short(r.token)),
        String(r.epoch),
        h("span", { "data-units": r.cumulative }, formatAmount(r.cumulative, r.info)),
        h("span", { "data-units": r.claimedOnChain.toString() }, formatAmount(r.claimedOnChain, r.info)),
        h(
          "span",
          { class: "claimable", "data-token": r.token, "data-units": r.claimableNow.toString() },
          formatAmount(r.claimableNow, r.info),
        ),
        stateText(r),
        h(
          "button",
          { type: "button", class: "claim-one", "data-token": r.token, onclick: () => claim([r]) },
          `Claim ${r.info.symbol}`,
        ),
      ]),
      { id: "claims-table" },
    ),
  );
}

async function drawEarnings(): Promise<void> {
  const list = await api
    .get<{ epoch: number; token: Address; amount: string; cumulative: string }[]>("/v1/creators/me/earnings")
    .catch(notCreator);
  if (!list) return void el.earnings.replaceChildren(h("p", {}, "Register as a creator to see earnings per epoch."));
  const infos = await Promise.all(list.map((e) => tokenInfo(wallet!.publicClient, e.token)));
  el.earnings.replaceChildren(
    list.length === 0
      ? h("p", {}, "No epoch has allocated anything to you yet.")
      : table(
          ["Epoch", "Token", "Earned in epoch", "Cumulative"],
          list.map((e, i) => [
            String(e.epoch),
            infos[i].symbol,
            formatAmount(e.amount, infos[i]),
            formatAmount(e.cumulative, infos[i]),
          ]),
        ),
  );
}

async function drawDatasets(): Promise<void> {
  type Dataset = { id: string; name: string; status: string; shares: { account: string; bps: number }[] };
  type Receipt = { scope: string; revokedAt: string | null };
  const list = await api.get<Dataset[]>("/v1/datasets").catch(notCreator);
  if (!list) return void el.datasets.replaceChildren(h("p", {}, "Register as a creator to list datasets."));
  type Coverage = { scope: string; basis: string; receipts: { active: number; revoked: number } };
  const consents = await Promise.all(list.map((d) => api.get<Receipt[]>(`/v1/datasets/${d.id}/consents`)));
  const coverage = await Promise.all(list.map((d) => api.get<Coverage[]>(`/v1/datasets/${d.id}/consent-coverage`)));
  el.datasets.replaceChildren(
    list.length === 0
      ? h("p", {}, "No datasets yet.")
      : table(
          ["Dataset", "Id", "Status", "Your share", "Consent", "Consent basis (offers need one per scope)"],
          list.map((d, i) => {
            const mine = d.shares.find((s) => sameHex(s.account, wallet!.address));
            const active = consents[i].filter((c) => c.revokedAt === null);
            const scopes = [...new Set(active.map((c) => c.scope))].join(", ");
            return [
              d.name,
              short(d.id),
              d.status,
              mine ? `${mine.bps / 100}%` : "—",
              `${active.length} active${scopes ? ` (${scopes})` : ""}, ${consents[i].length - active.length} revoked`,
              h(
                "span",
                { class: "consent-coverage", "data-dataset": d.id },
                coverage[i].map((c) => `${c.scope}: ${c.basis === "none" ? "no basis" : c.basis}`).join("; "),
              ),
            ];
          }),
        ),
  );
  await drawWebhooks(byId("webhooks"), "creator", ["license.taken", "license.cancelled", "epoch.claimable"]);
}

function notCreator(err: unknown): undefined {
  if (err instanceof ApiProblemError && err.problem.status === 403) return undefined;
  throw err;
}

/** Claims `targets` (one row, or all rows) in one transaction; every failure ends in a sentence. */
async function claim(targets: Row[]): Promise<void> {
  wallet = section.current();
  if (!wallet) return setStatus(el.claim, "error", "Connect your wallet and sign in first.");
  const w = wallet;
  try {
    setStatus(el.claim, "progress", "Checking the chain…");
    const wrong = await wrongNetworkNow(w, config);
    if (wrong) {
      section.showSwitch();
      return setStatus(el.claim, "error", wrong);
    }
    await refresh();
    const fresh = rows.filter((r) => targets.some((t) => sameHex(t.token, r.token)));
    const ready = fresh.filter((r) => r.state === "live" && r.claimableNow > 0n);
    if (ready.length === 0) {
      const pending = fresh.find((r) => r.state === "pending");
      if (pending)
        return setStatus(
          el.claim,
          "warn",
          `Root not claimable yet: the root of epoch ${roots!.pending.epoch} becomes claimable at ${formatTime(roots!.pending.readyAt)}. Try again after that time.`,
        );
      if (fresh.some((r) => r.state === "unposted"))
        return setStatus(
          el.claim,
          "warn",
          `Root not claimable yet: the root of epoch ${fresh[0]?.epoch} has not been posted on-chain.`,
        );
      return setStatus(
        el.claim,
        "info",
        `Nothing to claim: everything allocated to ${w.address} has already been claimed.`,
      );
    }
    const what = ready.map((r) => formatAmount(r.claimableNow, r.info)).join(" + ");
    setStatus(el.claim, "progress", `Step 1 of 3: confirm the claim of ${what} in your wallet…`);
    const hash =
      ready.length === 1 && targets.length === 1
        ? await w.walletClient.writeContract({
            chain: null,
            account: w.address,
            address: config.splitter,
            abi: royaltySplitterAbi,
            functionName: "claim",
            args: [w.address, ready[0].token, BigInt(ready[0].cumulative), ready[0].proof],
          })
        : await w.walletClient.writeContract({
            chain: null,
            account: w.address,
            address: config.splitter,
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
    setStatus(el.claim, "progress", "Step 2 of 3: transaction sent, waiting for it to be mined… ", short(hash));
    const receipt = await w.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success")
      return setStatus(el.claim, "error", "The claim transaction reverted on-chain.", " ", short(hash));
    setStatus(
      el.claim,
      "ok",
      `Step 3 of 3: claimed ${what} in block ${receipt.blockNumber} (${ready.length === 1 && targets.length === 1 ? "claim" : "claimBatch"}).`,
      " ",
      short(hash),
    );
    await refresh();
  } catch (err) {
    setStatus(el.claim, "error", claimFailure(err));
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

async function main(): Promise<void> {
  config = await loadWebConfig();
  byId("chain-id").textContent = String(config.chainId);
  byId("splitter").replaceChildren(short(config.splitter, 8));
  section = wireWalletSection(config, async (w) => {
    wallet = w;
    await refresh();
  });
  el.claimAll.onclick = () => void claim(rows);
  byId("refresh").onclick = () =>
    void refresh().catch((err) => setStatus(el.claim, "error", `Could not refresh. ${describeError(err)}`));
  document.body.dataset.ready = "true";
}

void main().catch((err) =>
  setStatus(byId("wallet-status"), "error", `The page could not start. ${describeError(err)}`),
);
