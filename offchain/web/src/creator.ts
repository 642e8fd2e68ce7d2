/**
 * Creator page: connect the injected wallet, sign in with Ethereum, see earnings per epoch and token and what
 * is claimable now (read from the chain), datasets with consent status, and claim one token or all tokens in
 * one transaction (claimBatch), with progress and a plain message for every failure.
 */
import type { Address } from "viem";
import { allPages, api, ApiProblemError, DATASET_PAGE_LIMIT, loadWebConfig, type WebConfig } from "./lib/api";
import { sameHex, tokenInfo, type Roots } from "./lib/chain";
import {
  claimStateText,
  claimTokens,
  readClaimView,
  type ClaimContext,
  type ClaimRow,
  type ClaimView,
} from "./lib/claims";
import { byId, h, setStatus, short, table } from "./lib/dom";
import { formatAmount } from "./lib/format";
import { describeError, type Wallet } from "./lib/wallet";
import { wireWalletSection, type WalletSection } from "./lib/wallet-section";
import { drawWebhooks } from "./lib/webhooks";

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
let rows: ClaimRow[] = [];
let roots: Roots | undefined;

/** Reloads the API's view and the chain's, then redraws. */
async function refresh(): Promise<ClaimView | undefined> {
  wallet = section.current();
  if (!wallet) return undefined;
  const view = await readClaimView(wallet, config.splitter);
  rows = view.rows;
  roots = view.roots;
  drawClaims();
  await Promise.all([drawEarnings(), drawDatasets()]);
  // Lets a watcher (and the browser tests) tell a finished refresh from the previous one.
  el.claims.dataset.version = String(Number(el.claims.dataset.version ?? "0") + 1);
  return view;
}

const claimContext = (): ClaimContext => ({ config, section, status: el.claim, reload: refresh });
const claim = (targets: ClaimRow[]) =>
  claimTokens(
    claimContext(),
    targets.map((r) => r.token),
  );

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
        claimStateText(r, roots!),
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
  const list = await allPages((path) => api.get<Dataset[]>(path), "/v1/datasets", DATASET_PAGE_LIMIT).catch(notCreator);
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
