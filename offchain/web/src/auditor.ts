/**
 * Auditor page (no wallet): every epoch with root, content hash, totals and transaction; a check that the
 * published distribution file hashes to the on-chain content hash and rebuilds the on-chain root (with the
 * Merkle module's own reader); a step-by-step proof check against the root on-chain; and a usage receipt checked
 * against the usage root in the verified file's header.
 */
import { createPublicClient, custom, http, isAddress, isHex, type Address, type Hex, type PublicClient } from "viem";
import {
  leafHash,
  processProof,
  readDistributionBytes,
  traceProof,
  unwrapUsageReceipt,
  usageReceiptEpoch,
  verifyUsageReceipt,
  type Distribution,
} from "../../merkle/browser";
import { api, loadWebConfig, type WebConfig } from "./lib/api";
import { readRoots, royaltySplitterAbi, sameHex, tokenInfo, type Roots } from "./lib/chain";
import { byId, h, setStatus, short, table } from "./lib/dom";
import { formatAmount, formatTime } from "./lib/format";
import { describeError } from "./lib/wallet";
import { WebError } from "./lib/errors";

type Epoch = {
  epoch: number;
  status: string;
  root: Hex;
  contentHash: Hex;
  totals: Record<string, string> | { token: string; amount: string }[];
  leafCount: number;
  txHash: Hex | null;
  endsAt: string;
};
type Proposed = { root: Hex; contentHash: Hex; readyAt: number; txHash: Hex };

let config: WebConfig;
let client: PublicClient;
let roots: Roots;
const proposed = new Map<number, Proposed>();
let verified: Distribution | undefined;
/** The usage root in the header of the last file that passed every check. */
let verifiedUsage: { epoch: number; usageRoot?: string } | undefined;

const PASS = "PASS";
const FAIL = "FAIL";

function chainClient(): PublicClient {
  if (config.rpcUrl) return createPublicClient({ transport: http(config.rpcUrl) });
  if (window.ethereum) return createPublicClient({ transport: custom(window.ethereum) });
  throw new WebError(
    "WEB_CHAIN_UNREACHABLE",
    "No JSON-RPC endpoint is configured (WEB_RPC_URL) and no wallet is present to read the chain.",
  );
}

async function loadChain(): Promise<void> {
  roots = await readRoots(client, config.splitter);
  const logs = await client.getContractEvents({
    address: config.splitter,
    abi: royaltySplitterAbi,
    eventName: "RootProposed",
    fromBlock: 0n,
    toBlock: "latest",
    strict: true,
  });
  for (const l of logs)
    proposed.set(Number(l.args.epoch), {
      root: l.args.root,
      contentHash: l.args.contentHash,
      readyAt: Number(l.args.readyAt),
      txHash: l.transactionHash,
    });
  byId("roots").replaceChildren(
    table(
      ["Root", "Epoch", "Value", "Claimable from"],
      [
        [
          "Claimable now",
          String(roots.claimable.epoch),
          roots.claimable.epoch === 0
            ? "none yet"
            : h("code", { class: "hex", id: "claimable-root" }, roots.claimable.root),
          "—",
        ],
        [
          "Pending (timelocked)",
          String(roots.pending.epoch),
          roots.pending.readyAt === 0 ? "none" : h("code", { class: "hex", id: "pending-root" }, roots.pending.root),
          roots.pending.readyAt === 0 ? "—" : formatTime(roots.pending.readyAt),
        ],
      ],
    ),
  );
}

async function totalsText(totals: Epoch["totals"]): Promise<string> {
  const list = Array.isArray(totals) ? totals.map((t) => [t.token, t.amount] as const) : Object.entries(totals);
  const parts = await Promise.all(
    list.map(async ([token, amount]) =>
      formatAmount(amount, await tokenInfo(client, token as Address).catch(() => ({ symbol: token, decimals: 0 }))),
    ),
  );
  return parts.join("; ");
}

async function loadEpochs(): Promise<void> {
  const epochs = await api.get<Epoch[]>("/v1/epochs");
  if (epochs.length === 0) return void byId("epochs").replaceChildren(h("p", {}, "No epoch has been closed yet."));
  const rows = await Promise.all(
    epochs.map(async (e) => {
      const onChain = proposed.get(e.epoch);
      const chainText = onChain
        ? sameHex(onChain.root, e.root)
          ? "posted, same root"
          : "posted, DIFFERENT root"
        : "not posted";
      return [
        String(e.epoch),
        e.status,
        short(e.root),
        short(e.contentHash),
        await totalsText(e.totals),
        String(e.leafCount),
        e.txHash ? short(e.txHash) : onChain ? short(onChain.txHash) : "—",
        chainText,
        h(
          "button",
          { type: "button", class: "verify-file", "data-epoch": e.epoch, onclick: () => void verifyFile(e) },
          `Verify file of epoch ${e.epoch}`,
        ),
      ];
    }),
  );
  byId("epochs").replaceChildren(
    table(["Epoch", "Status", "Root", "Content hash", "Totals", "Leaves", "Transaction", "On-chain", ""], rows, {
      id: "epochs-table",
    }),
  );
}

function check(ok: boolean, text: string, detail?: string): HTMLLIElement {
  return h(
    "li",
    { class: "check-line", "data-ok": String(ok) },
    h("strong", { class: "check" }, `${ok ? PASS : FAIL}:`),
    " ",
    text,
    detail ? h("div", {}, h("code", { class: "hex" }, detail)) : null,
  );
}

/** Downloads the epoch's file and checks it against the chain, listing every check. */
async function verifyFile(e: Epoch): Promise<void> {
  const status = byId("file-status");
  byId("file-checks").replaceChildren();
  verified = undefined;
  setStatus(status, "progress", `Downloading and rebuilding the distribution of epoch ${e.epoch}…`);
  try {
    await checkFileBytes(await api.bytes(`/v1/epochs/${e.epoch}/distribution`), `Epoch ${e.epoch}`, e);
  } catch (err) {
    setStatus(status, "error", `Could not check epoch ${e.epoch}. ${describeError(err)}`);
  }
}

/** A distribution file picked from the auditor's disk: checked against the chain alone (the API is not asked). */
async function verifyLocalFile(): Promise<void> {
  const status = byId("file-status");
  byId("file-checks").replaceChildren();
  verified = undefined;
  const file = (byId("local-file") as HTMLInputElement).files?.[0];
  if (!file) return setStatus(status, "error", "Choose a distribution file first.");
  setStatus(status, "progress", `Reading and rebuilding ${file.name}…`);
  try {
    await checkFileBytes(new Uint8Array(await file.arrayBuffer()), file.name);
  } catch (err) {
    setStatus(status, "error", `Could not check ${file.name}. ${describeError(err)}`);
  }
}

/**
 * Rebuilds `bytes` with the Merkle module's reader and checks it against the RootProposed event of the epoch
 * its header names; `listed` (the API's row) adds the check that the API lists the same root and hash.
 */
async function checkFileBytes(bytes: Uint8Array, label: string, listed?: Epoch): Promise<void> {
  const status = byId("file-status");
  const out = byId("file-checks");
  let read: Awaited<ReturnType<typeof readDistributionBytes>>;
  try {
    read = await readDistributionBytes(bytes);
  } catch (err) {
    out.replaceChildren(
      h("ol", {}, check(false, `The file is not a valid canonical distribution: ${describeError(err)}`)),
    );
    return setStatus(status, "error", `${label}: the file is INVALID (${bytes.length} bytes).`);
  }
  const epoch = listed?.epoch ?? Number(read.header.epoch);
  const onChain = proposed.get(epoch);
  const checks = [
    check(
      true,
      `File is canonical, ${read.distribution.leafCount} leaves, ${bytes.length} bytes; root rebuilt from the leaves:`,
      read.distribution.root,
    ),
    check(
      !!onChain,
      onChain
        ? `RootProposed event of epoch ${epoch} found on-chain (tx ${onChain.txHash}).`
        : `No RootProposed event for epoch ${epoch} on-chain.`,
    ),
    check(
      !!onChain && sameHex(read.contentHash, onChain.contentHash),
      "keccak256(file bytes) equals the on-chain content hash:",
      `${read.contentHash} vs ${onChain?.contentHash ?? "none"}`,
    ),
    check(
      !!onChain && sameHex(read.distribution.root, onChain.root),
      "Rebuilt root equals the on-chain root:",
      `${read.distribution.root} vs ${onChain?.root ?? "none"}`,
    ),
    ...(listed
      ? [
          check(
            sameHex(read.contentHash, listed.contentHash) && sameHex(read.distribution.root, listed.root),
            "File matches the root and content hash the API lists.",
          ),
        ]
      : []),
    check(
      read.header.chainId === config.chainId && sameHex(read.header.contract, config.splitter),
      `File names chain ${read.header.chainId} and contract ${read.header.contract}.`,
    ),
  ];
  out.replaceChildren(h("ol", { id: "file-check-list" }, ...checks));
  const failed = checks.filter((c) => c.dataset.ok !== "true").length;
  if (failed === 0) {
    verified = read.distribution;
    verifiedUsage = { epoch, usageRoot: read.header.usageRoot };
    fillPicker(read.distribution);
    setStatus(
      status,
      "ok",
      `${label} (epoch ${epoch}): all ${checks.length} checks passed. Pick a leaf below to verify its proof.`,
    );
  } else setStatus(status, "error", `${label} (epoch ${epoch}): ${failed} of ${checks.length} checks FAILED.`);
}

function fillPicker(d: Distribution): void {
  const pick = byId<HTMLSelectElement>("pick");
  pick.replaceChildren(h("option", { value: "" }, `— ${d.leafCount} leaves of epoch ${d.epoch} —`));
  for (let i = 0; i < d.leafCount; i++) {
    const c = d.claimAt(i);
    pick.append(
      h("option", { value: i }, `#${i} ${c.account.slice(0, 10)}… ${c.token.slice(0, 10)}… ${c.cumulativeAmount}`),
    );
  }
}

function onPick(): void {
  const value = byId<HTMLSelectElement>("pick").value;
  if (!verified || value === "") return;
  const c = verified.claimAt(Number(value));
  byId<HTMLInputElement>("account").value = c.account;
  byId<HTMLInputElement>("token").value = c.token;
  byId<HTMLInputElement>("cumulative").value = c.cumulativeAmount.toString();
  byId<HTMLTextAreaElement>("proof").value = JSON.stringify(c.proof, null, 1);
}

function parseProof(text: string): Hex[] {
  const t = text.trim();
  if (t === "") return [];
  const list = t.startsWith("[") ? (JSON.parse(t) as unknown[]) : t.split(/[\s,]+/);
  return list.map((x, i) => {
    if (typeof x !== "string" || !isHex(x, { strict: true }) || x.length !== 66)
      throw new WebError("WEB_INPUT_INVALID", `proof element ${i + 1} is not a 32-byte 0x hash`);
    return x;
  });
}

/** Checks the form's leaf and proof against the chosen on-chain root, showing each hashing step. */
async function verifyProofForm(): Promise<void> {
  const status = byId("proof-status");
  const steps = byId("proof-steps");
  steps.replaceChildren();
  try {
    const account = byId<HTMLInputElement>("account").value.trim();
    const token = byId<HTMLInputElement>("token").value.trim();
    const amountText = byId<HTMLInputElement>("cumulative").value.trim();
    if (!isAddress(account, { strict: false }))
      throw new WebError("WEB_INPUT_INVALID", "account is not a 20-byte 0x address");
    if (!isAddress(token, { strict: false }))
      throw new WebError("WEB_INPUT_INVALID", "token is not a 20-byte 0x address");
    if (!/^(0|[1-9][0-9]*)$/.test(amountText))
      throw new WebError("WEB_INPUT_INVALID", "cumulative amount must be a whole number of base units");
    const proof = parseProof(byId<HTMLTextAreaElement>("proof").value);
    roots = await readRoots(client, config.splitter);
    const against = byId<HTMLSelectElement>("against").value === "pending" ? roots.pending : roots.claimable;
    const label = byId<HTMLSelectElement>("against").value === "pending" ? "pending" : "claimable";
    const leaf = leafHash({
      account: account as Address,
      token: token as Address,
      cumulativeAmount: BigInt(amountText),
    });
    const trace = traceProof(leaf, proof);
    steps.append(
      h(
        "li",
        {},
        "Leaf = keccak256(keccak256(abi.encode(account, token, cumulative))) = ",
        h("code", { class: "hex" }, leaf),
      ),
    );
    trace.forEach((s, i) =>
      steps.append(
        h(
          "li",
          {},
          `Step ${i + 1}: hash(sorted(`,
          h("code", { class: "hex" }, s.node),
          ", ",
          h("code", { class: "hex" }, s.sibling),
          ")) = ",
          h("code", { class: "hex" }, s.parent),
        ),
      ),
    );
    const result = processProof(leaf, proof);
    const ok = against.root !== `0x${"0".repeat(64)}` && sameHex(result, against.root);
    steps.append(
      h(
        "li",
        { class: "check-line", "data-ok": String(ok) },
        h("strong", { class: "check" }, `${ok ? PASS : FAIL}:`),
        ` computed root ${result} ${ok ? "equals" : "does NOT equal"} the ${label} on-chain root ${against.root} (epoch ${against.epoch}).`,
      ),
    );
    if (ok) setStatus(status, "ok", `VALID: this proof leads to the ${label} on-chain root of epoch ${against.epoch}.`);
    else
      setStatus(
        status,
        "error",
        `INVALID: this (account, token, cumulative, proof) does not lead to the ${label} on-chain root.`,
      );
  } catch (err) {
    setStatus(status, "error", `Cannot check: ${describeError(err)}`);
  }
}

/** A usage receipt against the usage root of the verified file (which the chain anchors through its content hash). */
async function verifyReceiptForm(): Promise<void> {
  const status = byId("receipt-status");
  if (!verified || !verifiedUsage) return setStatus(status, "error", "Verify an epoch's distribution file first.");
  if (!verifiedUsage.usageRoot)
    return setStatus(status, "error", `The file of epoch ${verifiedUsage.epoch} predates usage commitments.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(byId<HTMLTextAreaElement>("receipt").value);
  } catch {
    return setStatus(status, "error", "The receipt is not JSON.");
  }
  const receipt = unwrapUsageReceipt(parsed);
  const epoch = usageReceiptEpoch(receipt);
  if (epoch !== verifiedUsage.epoch)
    return setStatus(
      status,
      "error",
      `INVALID: the receipt is of epoch ${String(epoch)}, the file of ${verifiedUsage.epoch}.`,
    );
  const v = verifyUsageReceipt(receipt, verifiedUsage.usageRoot as Hex);
  if (v.ok)
    setStatus(
      status,
      "ok",
      `VALID: the receipt's record is committed in epoch ${epoch} (usage root ${verifiedUsage.usageRoot}).`,
    );
  else setStatus(status, "error", `INVALID: ${v.reason}.`);
}

async function main(): Promise<void> {
  config = await loadWebConfig();
  byId("chain-id").textContent = String(config.chainId);
  byId("splitter").replaceChildren(short(config.splitter, 8));
  byId("rpc").textContent = config.rpcUrl ?? (window.ethereum ? "your wallet" : "nowhere");
  byId("pick").onchange = onPick;
  byId("verify-proof").onclick = () => void verifyProofForm();
  byId("verify-local").onclick = () => void verifyLocalFile();
  byId("verify-receipt").onclick = () => void verifyReceiptForm();
  client = chainClient();
  await loadChain();
  await loadEpochs();
  document.body.dataset.ready = "true";
}

void main().catch((err) => setStatus(byId("file-status"), "error", `The page could not start. ${describeError(err)}`));
