/**
 * Buyer view: the signed-in buyer's licenses, each license's deposit instructions, and a deposit from the
 * wallet: approve + deposit (two transactions), or an EIP-2612 permit signature + depositWithPermit (one).
 */
import { erc20Abi, parseSignature, parseUnits, type Address, type Hex } from "viem";
import { api, loadWebConfig, type WebConfig } from "./lib/api";
import { royaltySplitterAbi, tokenInfo } from "./lib/chain";
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
  const licenses = await api.get<License[]>("/v1/licenses");
  if (licenses.length === 0) return void byId("licenses").replaceChildren(h("p", {}, "You have no licenses yet."));
  const rows = await Promise.all(
    licenses.map(async (l) => {
      const [info, ins] = await Promise.all([
        tokenInfo(wallet.publicClient, l.token),
        api.get<Instructions>(`/v1/licenses/${l.licenseId}/deposit-instructions`),
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
        l.status,
        `${l.startsAt.slice(0, 10)} → ${l.endsAt.slice(0, 10)}`,
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
    table(["License", "Terms", "Status", "Window", "Deposit instructions", "Deposit"], rows, { id: "licenses-table" }),
  );
}

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
    setStatus(
      status(),
      "ok",
      `Deposited ${what} for license ${ins.licenseId.slice(0, 10)}… in block ${receipt.blockNumber}${permit ? " (permit)" : ""}. The service counts it once it has enough confirmations.`,
      " ",
      short(hash),
    );
    await load(wallet);
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
  document.body.dataset.ready = "true";
}

void main().catch((err) =>
  setStatus(byId("wallet-status"), "error", `The page could not start. ${describeError(err)}`),
);
