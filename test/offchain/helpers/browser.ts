/**
 * Headless Debian Chromium through playwright-core, and a test wallet: an EIP-1193 provider injected into the
 * page whose requests cross a binding into Node, where a development private key signs (personal_sign,
 * eth_signTypedData_v4, eth_sendTransaction, locally with viem) and everything else goes to the real chain.
 * The test steers it: report another chain id, or reject the next request of a method like a user would.
 */
import fs from "node:fs";
import path from "node:path";
import hre from "hardhat";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { custom, createWalletClient, hexToString, type Hex, type TypedDataDefinition } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { hardhat } from "viem/chains";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SCREENSHOTS = path.resolve(process.env.SCREENSHOT_DIR ?? "test-output/screenshots");

/** Launches Chromium; playwright gives every launch a fresh temporary profile (its own user-data-dir). */
export async function launchBrowser(): Promise<{ browser: Browser }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return { browser };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`      screenshot: ${file}`);
  return file;
}

export type TestWallet = {
  account: PrivateKeyAccount;
  /** The chain id the wallet reports (switchable by the page through wallet_switchEthereumChain). */
  chainId: number;
  /** Methods whose next request the "user" declines (EIP-1193 error 4001). */
  rejectNext: Set<string>;
  /** Every method the page asked for, in order. */
  requests: string[];
  sent: Hex[];
};

type Reply = { result?: unknown; error?: { code: number; message: string; data?: unknown } };

/** Opens a page at `url` in a fresh context with a test wallet for `account`. */
export async function openWithWallet(
  browser: Browser,
  url: string,
  account: PrivateKeyAccount,
  viewport = { width: 1100, height: 900 },
): Promise<{ page: Page; context: BrowserContext; wallet: TestWallet }> {
  const context = await browser.newContext({ viewport });
  const wallet: TestWallet = { account, chainId: hardhat.id, rejectNext: new Set(), requests: [], sent: [] };
  const signer = createWalletClient({ account, chain: hardhat, transport: custom(hre.network.provider) });
  await context.exposeBinding("__testWallet", async (_source, method: string, params: unknown[]): Promise<Reply> => {
    wallet.requests.push(method);
    if (wallet.rejectNext.delete(method)) return { error: { code: 4001, message: "User rejected the request." } };
    try {
      switch (method) {
        case "eth_requestAccounts":
        case "eth_accounts":
          return { result: [account.address] };
        case "eth_chainId":
          return { result: `0x${wallet.chainId.toString(16)}` };
        case "wallet_switchEthereumChain": {
          const wanted = Number((params[0] as { chainId: string }).chainId);
          if (wanted !== hardhat.id) return { error: { code: 4902, message: "Unrecognized chain." } };
          wallet.chainId = wanted;
          return { result: null };
        }
        case "personal_sign":
          return { result: await account.signMessage({ message: { raw: params[0] as Hex } }) };
        case "eth_signTypedData_v4": {
          const typed = JSON.parse(params[1] as string) as TypedDataDefinition & { types: Record<string, unknown> };
          const { EIP712Domain: _omit, ...types } = typed.types;
          return { result: await account.signTypedData({ ...typed, types } as TypedDataDefinition) };
        }
        case "eth_sendTransaction": {
          if (wallet.chainId !== hardhat.id) return { error: { code: 4901, message: "Wallet is on another chain." } };
          const tx = params[0] as { to: Hex; data?: Hex; value?: Hex; gas?: Hex };
          const hash = await signer.sendTransaction({
            to: tx.to,
            data: tx.data,
            value: tx.value ? BigInt(tx.value) : undefined,
            gas: tx.gas ? BigInt(tx.gas) : undefined,
          });
          wallet.sent.push(hash);
          return { result: hash };
        }
        default:
          return { result: await hre.network.provider.request({ method, params }) };
      }
    } catch (err) {
      // Shaped like a wallet's answer to a revert (geth / MetaMask): code 3 with the revert data as hex.
      // The revert data may sit deep in the cause chain (the local signer's own gas estimate wraps it).
      const e = err as { code?: number; message?: string; data?: unknown };
      let data: unknown;
      for (
        let c: unknown = err;
        c && typeof c === "object" && data === undefined;
        c = (c as { cause?: unknown }).cause
      ) {
        const d = (c as { data?: unknown }).data;
        data =
          typeof d === "string"
            ? d
            : typeof (d as { data?: unknown } | undefined)?.data === "string"
              ? (d as { data: string }).data
              : undefined;
      }
      if (typeof data === "string" && data.startsWith("0x"))
        return { error: { code: 3, message: "execution reverted", data } };
      return {
        error: { code: typeof e.code === "number" ? e.code : -32603, message: e.message ?? String(err), data: e.data },
      };
    }
  });
  await context.addInitScript(() => {
    type Bridge = (
      method: string,
      params: unknown[],
    ) => Promise<{ result?: unknown; error?: { code: number; message: string; data?: unknown } }>;
    const bridge = (window as unknown as { __testWallet: Bridge }).__testWallet;
    const listeners = new Map<string, Set<(...a: unknown[]) => void>>();
    (window as unknown as { ethereum: unknown }).ethereum = {
      isTestWallet: true,
      async request({ method, params }: { method: string; params?: unknown[] }) {
        const reply = await bridge(method, params ?? []);
        if (reply.error) throw Object.assign(new Error(reply.error.message), reply.error);
        return reply.result;
      },
      on(event: string, fn: (...a: unknown[]) => void) {
        if (!listeners.has(event)) listeners.set(event, new Set());
        listeners.get(event)!.add(fn);
      },
      removeListener(event: string, fn: (...a: unknown[]) => void) {
        listeners.get(event)?.delete(fn);
      },
    };
  });
  const page = await context.newPage();
  page.on("pageerror", (err) => console.log(`      [page error] ${err.message}`));
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]");
  return { page, context, wallet };
}

/** Waits until a status box shows `kind` (not "progress") and returns its text. */
export async function statusText(
  page: Page,
  id: string,
  kinds: string[] = ["ok", "error", "warn", "info"],
): Promise<{ kind: string; text: string }> {
  await page.waitForFunction(
    ([sel, ks]) => {
      const el = document.getElementById(sel as string);
      return !!el && !el.hidden && (ks as string[]).includes(el.dataset.kind ?? "");
    },
    [id, kinds] as const,
    { timeout: 30_000 },
  );
  return page.$eval(`#${id}`, (el) => ({ kind: (el as HTMLElement).dataset.kind ?? "", text: el.textContent ?? "" }));
}

export { hexToString };

/** Clears a status box, clicks `selector`, and returns the status the click ends with. */
export async function clickForStatus(
  page: Page,
  selector: string,
  statusId: string,
  kinds?: string[],
): Promise<{ kind: string; text: string }> {
  await page.$eval(`#${statusId}`, (el) => {
    (el as HTMLElement).dataset.kind = "";
  });
  await page.click(selector);
  return statusText(page, statusId, kinds);
}

/**
 * How far content runs past its box sideways, in CSS pixels: the document itself, and every element that
 * clips or scrolls its overflow (sections scroll wide content instead of widening the page); form fields, whose
 * text scrolls inside them by design, excepted. "none" = everything fits.
 */
export function horizontalOverflow(page: Page): Promise<string> {
  return page.evaluate(() => {
    let worst = Math.max(0, document.documentElement.scrollWidth - window.innerWidth);
    let where = worst > 0 ? "the page" : "";
    for (const el of Array.from(
      document.querySelectorAll<HTMLElement>("body *:not(input):not(textarea):not(select)"),
    )) {
      const o = getComputedStyle(el).overflowX;
      if (o !== "visible" && el.clientWidth > 0 && el.scrollWidth - el.clientWidth > worst) {
        worst = el.scrollWidth - el.clientWidth;
        where = `<${el.tagName.toLowerCase()}${el.id ? ` id="${el.id}"` : ""}>`;
      }
    }
    return worst === 0 ? "none" : `${worst}px in ${where}`;
  });
}
