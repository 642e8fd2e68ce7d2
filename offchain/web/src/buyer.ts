/**
 * Buyer view: the signed-in buyer's licenses with their status and money (recognized, refunded, escrow), each
 * license's deposit instructions, a deposit from the wallet (approve + deposit, or an EIP-2612 permit signature +
 * depositWithPermit), a cancel button, and the buyer's refunds: ordinary leaves for its address, claimed from its
 * wallet with the creator page's claim path (lib/claims.ts: claim or claimBatch against the claimable root).
 */
import { erc20Abi, parseSignature, parseUnits, type Address, type Hex } from "viem";
// Type-only: the response type of GET /v1/licenses/:id/money; nothing of the server is bundled.
import type { LicenseMoney } from "../../api/services/license-money";
import { api, loadWebConfig, type WebConfig } from "./lib/api";
import { royaltySplitterAbi, tokenInfo } from "./lib/chain";
import { claimStateText, claimTokens, readClaimView, type ClaimContext, type ClaimView } from "./lib/claims";
import { byId, h, setStatus, short, table } from "./lib/dom";
import { formatAmount, type TokenInfo } from "./lib/format";
import { describeError, isUserRejection, revertOf, type Wallet } from "./lib/wallet";
import { wireWalletSection, wrongNetworkNow, type WalletSection } from "./lib/wallet-section";
import { drawWebhooks } from "./lib/webhooks";

type Notice = {
  seq: string;
  licenseId: string;
  datasetId: string;
  itemRef: string | null;
  scope: string;
  revokedAt: string;
};

/** Revocation notices from the pull feed: what to exclude from further use, per license. */
async function drawRevocations(): Promise<void> {
  const feed = await api.get<{ notices: Notice[] }>("/v1/buyers/me/revocations?since=0&limit=1000");
  byId("revocations").replaceChildren(
    feed.notices.length === 0
      ? h("p", {}, "No revocations affect your licenses.")
      : table(
          ["License", "Dataset", "Item", "Scope", "Revoked at", "What to do"],
          feed.notices.map((n) => [
            short(n.licenseId),
            short(n.datasetId),
            n.itemRef ?? "whole dataset",
            n.scope,
            n.revokedAt,
            n.itemRef ? "Exclude this item from further use" : "Exclude the dataset from further use",
          ]),
          { id: "revocations-table" },
        ),
  );
}

type License = {
  licenseId: Hex;
  model: string;
  token: Address;
  scope: string;
  price: string | null;
  ratePerUnit: string | null;
  revenueBps: number | null;
  periodSeconds: number | null;
  startsAt: string;
  endsAt: string;
  status: string;
  cancelledAt: string | null;
  /** What ending (term or cancel) means in money for this model. */
  onEnd: string;
};
type Instructions = {
  chainId: number;
  contract: Address;
  licenseId: Hex;
  token: Address;
  amount: string | null;
  note: string;
};

const permitAbi = [
  {
    type: "function",
    name: "nonces",
    stateMutability: "view",
    inputs: [{ name: "owner", type: "address" }],
    outputs: [{ type: "uint256" }],
  },
  {
    type: "function",
    name: "eip712Domain",
    stateMutability: "view",
    inputs: [],
    outputs: [
      { type: "bytes1" },
      { type: "string" },
      { type: "string" },
      { type: "uint256" },
      { type: "address" },
      { type: "bytes32" },
      { type: "uint256[]" },
    ],
  },
] as const;

let config: WebConfig;
let section: WalletSection;
const status = () => byId("deposit-status");

function terms(l: License, info: TokenInfo): string {
  if (l.model === "per_use" && l.ratePerUnit) return `per use, ${formatAmount(l.ratePerUnit, info)} per unit`;
  if (l.model === "revenue_share" && l.revenueBps !== null) return `revenue share, ${l.revenueBps / 100}%`;
  if (l.model === "subscription" && l.price)
    return `subscription, ${formatAmount(l.price, info)} per ${l.periodSeconds} s`;
  return l.price ? `one-time, ${formatAmount(l.price, info)}` : l.model;
}

async function load(wallet: Wallet): Promise<void> {
  await drawRevocations();
  await drawWebhooks(byId("webhooks"), "buyer", [
    "consent.revoked",
    "attestation.withdrawn",
    "license.taken",
    "license.cancelled",
    "deposit.confirmed",
    "usage.accepted",
    "usage.rejected",
    "refund.available",
  ]);
  await drawRefunds();
  const licenses = await api.get<License[]>("/v1/licenses");
  if (licenses.length === 0) return void byId("licenses").replaceChildren(h("p", {}, "You have no licenses yet."));
  const rows = await Promise.all(
    licenses.map(async (l) => {
      const [info, ins, money] = await Promise.all([
        tokenInfo(wallet.publicClient, l.token),
        api.get<Instructions>(`/v1/licenses/${l.licenseId}/deposit-instructions`),
        api.get<LicenseMoney>(`/v1/licenses/${l.licenseId}/money`),
      ]);
      const balance = await wallet.publicClient.readContract({
        address: l.token,
        abi: erc20Abi,
        functionName: "balanceOf",
        args: [wallet.address],
      });
      const input = h("input", {
        class: "amount",
        "data-license": l.licenseId,
        inputmode: "decimal",
        "aria-label": `Amount in ${info.symbol}`,
        value: ins.amount ? formatUnitsExact(ins.amount, info) : "",
      });
      const go = (permit: boolean) => () => void deposit(ins, info, input.value, permit);
      return [
        short(l.licenseId),
        `${terms(l, info)} · ${l.scope}`,
        h(
          "div",
          {},
          h("span", { class: "license-status", "data-license": l.licenseId }, l.status),
          l.cancelledAt ? h("div", { class: "meta" }, `cancelled ${l.cancelledAt}`) : null,
          l.status === "active"
            ? h(
                "button",
                {
                  type: "button",
                  class: "cancel",
                  "data-license": l.licenseId,
                  onclick: (e: Event) => void cancel(l, e.currentTarget as HTMLButtonElement),
                },
                "Cancel license",
              )
            : null,
        ),
        `${l.startsAt.slice(0, 10)} → ${l.endsAt.slice(0, 10)}`,
        moneyCell(l, money, info),
        h(
          "div",
          {},
          h(
            "div",
            {},
            `Send to splitter `,
            short(ins.contract),
            ` the token ${info.symbol} `,
            short(ins.token),
            ins.amount ? `, amount ${formatAmount(ins.amount, info)}.` : ".",
          ),
          h("div", { class: "meta" }, ins.note),
          h("div", { class: "meta" }, `Your balance: ${formatAmount(balance, info)}`),
        ),
        h(
          "div",
          {},
          input,
          h(
            "button",
            { type: "button", class: "deposit-approve", "data-license": l.licenseId, onclick: go(false) },
            "Approve + deposit",
          ),
          h(
            "button",
            { type: "button", class: "deposit-permit", "data-license": l.licenseId, onclick: go(true) },
            "Deposit with permit",
          ),
        ),
      ];
    }),
  );
  byId("licenses").replaceChildren(
    table(["License", "Terms", "Status", "Window", "Money", "Deposit instructions", "Deposit"], rows, {
      id: "licenses-table",
    }),
  );
}

/** The license's money as the last settled epoch left it; the data attributes carry exact base units. */
function moneyCell(l: License, m: LicenseMoney, info: TokenInfo): HTMLElement {
  if (m.asOfEpoch === null) return h("div", { class: "meta" }, "No epoch has settled this license yet.");
  const line = (label: string, units: string) =>
    h("div", {}, `${label}: `, h("span", { "data-units": units }, formatAmount(units, info)));
  return h(
    "div",
    {
      class: "money",
      "data-license": l.licenseId,
      "data-deposited": m.deposited,
      "data-recognized": m.recognized,
      "data-refunded": m.refunded,
      "data-escrow": m.escrow,
    },
    line("Deposited", m.deposited),
    line("Recognized (paid to creators)", m.recognized),
    line("Refunded to you", m.refunded),
    line("In escrow", m.escrow),
    m.owed !== "0" ? line("Owed", m.owed) : null,
    h("div", { class: "meta" }, `As of epoch ${m.asOfEpoch}. ${l.onEnd}`),
  );
}

/** Cancels the license now; the refund it leads to becomes a leaf for this address at the next close. */
async function cancel(l: License, button: HTMLButtonElement): Promise<void> {
  const el = byId("cancel-status");
  const wallet = section.current();
  if (!wallet) return setStatus(el, "error", "Connect your wallet and sign in first.");
  // A cancellation cannot be undone: the first click says what it means in money, the second one cancels.
  if (button.dataset.confirm !== "true") {
    button.dataset.confirm = "true";
    button.textContent = "Confirm: cancel now";
    return setStatus(
      el,
      "warn",
      `Cancelling license ${l.licenseId.slice(0, 10)}… cannot be undone: ${l.onEnd}. Press “Confirm: cancel now” to cancel.`,
    );
  }
  try {
    setStatus(el, "progress", `Cancelling license ${l.licenseId.slice(0, 10)}…`);
    const done = await api.post<License>(`/v1/licenses/${l.licenseId}/cancel`, {});
    const redrawn = await load(wallet).then(
      () => "",
      () => " Reload the page to see it.",
    );
    setStatus(
      el,
      "ok",
      `License ${l.licenseId.slice(0, 10)}… cancelled at ${done.cancelledAt}: ${done.onEnd}. A refund shows under Refunds once the next epoch is settled and its root claimable.${redrawn}`,
    );
  } catch (err) {
    setStatus(el, "error", `Not cancelled. ${describeError(err)}`);
  }
}

let refundView: ClaimView | undefined;

/** The buyer's leaves are its refunds: cumulative per token, what the chain says is claimed, what is claimable now. */
async function drawRefunds(): Promise<ClaimView | undefined> {
  const wallet = section.current();
  if (!wallet) return undefined;
  const view = await readClaimView(wallet, config.splitter);
  refundView = view;
  const el = byId("refunds");
  el.replaceChildren(
    view.rows.length === 0
      ? h("p", {}, "No refunds for this address yet.")
      : table(
          ["Token", "Epoch", "Refunded to date", "Claimed", "Claimable now", "Status", ""],
          view.rows.map((r) => [
            h("span", {}, r.info.symbol, " ", short(r.token)),
            String(r.epoch),
            h("span", { "data-units": r.cumulative }, formatAmount(r.cumulative, r.info)),
            h("span", { "data-units": r.claimedOnChain.toString() }, formatAmount(r.claimedOnChain, r.info)),
            h(
              "span",
              { class: "refund-claimable", "data-token": r.token, "data-units": r.claimableNow.toString() },
              formatAmount(r.claimableNow, r.info),
            ),
            claimStateText(r, view.roots),
            h(
              "button",
              {
                type: "button",
                class: "claim-refund",
                "data-token": r.token,
                onclick: () => void claimTokens(claimContext(), [r.token]),
              },
              `Claim ${r.info.symbol} refund`,
            ),
          ]),
          { id: "refunds-table" },
        ),
  );
  // Lets the browser tests tell a finished redraw from the previous one.
  el.dataset.version = String(Number(el.dataset.version ?? "0") + 1);
  return view;
}

const claimContext = (): ClaimContext => ({
  config,
  section,
  status: byId("refund-status"),
  reload: drawRefunds,
});

function formatUnitsExact(units: string, info: TokenInfo): string {
  return formatAmount(units, info).split(" ")[0];
}

/** Deposits `amountText` (token units) for the license; progress and failures land in the status box. */
async function deposit(ins: Instructions, info: TokenInfo, amountText: string, permit: boolean): Promise<void> {
  const wallet = section.current();
  if (!wallet) return setStatus(status(), "error", "Connect your wallet and sign in first.");
  let amount: bigint;
  try {
    amount = parseUnits(amountText.trim(), info.decimals);
  } catch {
    return setStatus(
      status(),
      "error",
      `“${amountText}” is not an amount of ${info.symbol} (up to ${info.decimals} decimals).`,
    );
  }
  if (amount <= 0n) return setStatus(status(), "error", "Enter an amount above zero.");
  const what = formatAmount(amount, info);
  try {
    const wrong = await wrongNetworkNow(wallet, config);
    if (wrong) {
      section.showSwitch();
      return setStatus(status(), "error", wrong);
    }
    const common = { chain: null, account: wallet.address } as const;
    let hash: Hex;
    if (permit) {
      setStatus(status(), "progress", `Step 1 of 3: sign the permit for ${what} in your wallet…`);
      const [nonce, domain, block] = await Promise.all([
        wallet.publicClient.readContract({
          address: ins.token,
          abi: permitAbi,
          functionName: "nonces",
          args: [wallet.address],
        }),
        wallet.publicClient.readContract({ address: ins.token, abi: permitAbi, functionName: "eip712Domain" }),
        wallet.publicClient.getBlock(),
      ]);
      const deadline = block.timestamp + 3600n; // chain time, not the browser's clock
      const signature = await wallet.walletClient.signTypedData({
        account: wallet.address,
        domain: { name: domain[1], version: domain[2], chainId: Number(domain[3]), verifyingContract: domain[4] },
        types: {
          Permit: [
            { name: "owner", type: "address" },
            { name: "spender", type: "address" },
            { name: "value", type: "uint256" },
            { name: "nonce", type: "uint256" },
            { name: "deadline", type: "uint256" },
          ],
        },
        primaryType: "Permit",
        message: { owner: wallet.address, spender: ins.contract, value: amount, nonce, deadline },
      });
      const { v, r, s, yParity } = parseSignature(signature);
      setStatus(status(), "progress", `Step 2 of 3: confirm the deposit of ${what} in your wallet…`);
      hash = await wallet.walletClient.writeContract({
        ...common,
        address: ins.contract,
        abi: royaltySplitterAbi,
        functionName: "depositWithPermit",
        args: [ins.licenseId, ins.token, amount, deadline, Number(v ?? BigInt(27 + (yParity ?? 0))), r, s],
      });
    } else {
      const allowance = await wallet.publicClient.readContract({
        address: ins.token,
        abi: erc20Abi,
        functionName: "allowance",
        args: [wallet.address, ins.contract],
      });
      if (allowance < amount) {
        setStatus(status(), "progress", `Step 1 of 3: approve the splitter to take ${what} (confirm in your wallet)…`);
        const approval = await wallet.walletClient.writeContract({
          ...common,
          address: ins.token,
          abi: erc20Abi,
          functionName: "approve",
          args: [ins.contract, amount],
        });
        const ok = await wallet.publicClient.waitForTransactionReceipt({ hash: approval });
        if (ok.status !== "success")
          return setStatus(status(), "error", "The approval transaction reverted.", " ", short(approval));
      }
      setStatus(status(), "progress", `Step 2 of 3: confirm the deposit of ${what} in your wallet…`);
      hash = await wallet.walletClient.writeContract({
        ...common,
        address: ins.contract,
        abi: royaltySplitterAbi,
        functionName: "deposit",
        args: [ins.licenseId, ins.token, amount],
      });
    }
    setStatus(status(), "progress", "Step 3 of 3: deposit sent, waiting for it to be mined… ", short(hash));
    const receipt = await wallet.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success")
      return setStatus(status(), "error", "The deposit transaction reverted on-chain.", " ", short(hash));
    // Redrawn before "Done", so nothing typed after the message is overwritten by the redraw; a failed redraw does
    // not make the deposit a failure.
    const redrawn = await load(wallet).then(
      () => "",
      () => " Reload the page to see it.",
    );
    setStatus(
      status(),
      "ok",
      `Deposited ${what} for license ${ins.licenseId.slice(0, 10)}… in block ${receipt.blockNumber}${permit ? " (permit)" : ""}. The service counts it once it has enough confirmations.${redrawn}`,
      " ",
      short(hash),
    );
  } catch (err) {
    if (isUserRejection(err)) return setStatus(status(), "error", "Rejected in your wallet: nothing was deposited.");
    const r = revertOf(err);
    if (r?.name === "RoyaltySplitterTokenNotAllowed")
      return setStatus(status(), "error", `The splitter does not accept ${info.symbol} deposits.`);
    if (r?.name === "RoyaltySplitterPaused")
      return setStatus(status(), "error", "Deposits are paused by the guardian; try again later.");
    setStatus(status(), "error", `Deposit failed. ${describeError(err)}`);
  }
}

async function main(): Promise<void> {
  config = await loadWebConfig();
  byId("chain-id").textContent = String(config.chainId);
  byId("splitter").replaceChildren(short(config.splitter, 8));
  section = wireWalletSection(config, (wallet) => load(wallet));
  byId("claim-refunds").onclick = () =>
    void claimTokens(
      claimContext(),
      (refundView?.rows ?? []).map((r) => r.token),
    );
  document.body.dataset.ready = "true";
}

void main().catch((err) =>
  setStatus(byId("wallet-status"), "error", `The page could not start. ${describeError(err)}`),
);
