/**
 * Creator page in headless Chromium against the real app and the in-process chain, with a test wallet:
 * every failure message (wrong network, rejected signature, root pending, nothing to claim), and claims
 * whose on-chain balance change equals exactly what the page said was claimable.
 * Runs with `npm run test:browser` (TRIBUTARY_BROWSER_TESTS=1), not in `npm test`.
 */
import { expect } from "chai";
import hre from "hardhat";
import type { Browser, Page } from "playwright-core";
import { decodeFunctionData, type Address, type Hex } from "viem";
import { royaltySplitterAbi } from "../../../offchain/chain/abi";
import {
  clickForStatus,
  horizontalOverflow,
  launchBrowser,
  openWithWallet,
  screenshot,
  SCREENSHOTS,
  type TestWallet,
} from "../helpers/browser";
import { startWebStack, type WebStack } from "../helpers/web-stack";

const run = process.env.TRIBUTARY_BROWSER_TESTS === "1" ? describe : describe.skip;

type Proofs = { proofs: { token: Address; cumulative: string; claimable: string }[] };

run("offchain/web creator page (browser)", function () {
  this.timeout(120_000);
  let s: WebStack;
  let browser: Browser;
  let page: Page;
  let wallet: TestWallet;
  let epoch: { epoch: number; readyAt: number };

  before(async () => {
    s = await startWebStack();
    ({ browser } = await launchBrowser());
    console.log(`      app ${s.baseUrl}, screenshots in ${SCREENSHOTS}`);
    ({ page, wallet } = await openWithWallet(browser, `${s.baseUrl}/creator`, s.accounts.creator));
  });
  after(async () => {
    await browser?.close();
    await s?.close();
  });

  const functionOf = async (hash: Hex) => {
    const tx = (await hre.network.provider.request({ method: "eth_getTransactionByHash", params: [hash] })) as {
      input: Hex;
    };
    return decodeFunctionData({ abi: royaltySplitterAbi, data: tx.input }).functionName;
  };
  const refresh = async () => {
    const before = await page.$eval("#claims", (el) => Number((el as HTMLElement).dataset.version ?? "0"));
    await page.click("#refresh");
    await page.waitForFunction((v) => Number(document.getElementById("claims")!.dataset.version ?? "0") > v, before);
  };
  const shownClaimable = () =>
    page.$$eval(".claimable", (els) =>
      els.map((e) => ({
        token: (e as HTMLElement).dataset.token!.toLowerCase(),
        units: BigInt((e as HTMLElement).dataset.units!).toString(),
        text: e.textContent!,
      })),
    );

  it("says the wallet is on the wrong network (chain 1) and connects after switching to 31337", async () => {
    wallet.chainId = 1;
    const wrong = await clickForStatus(page, "#connect", "wallet-status");
    expect(wrong.kind).to.equal("error");
    expect(wrong.text).to.contain("Wrong network").and.contain("chain 1").and.contain("chain 31337");
    expect(await page.isVisible("#switch-network")).to.equal(true);
    const ok = await clickForStatus(page, "#switch-network", "wallet-status");
    expect(ok.kind).to.equal("ok");
    expect(ok.text).to.contain(`Connected as ${s.accounts.creator.address}`);
    expect(wallet.chainId).to.equal(31337);
  });

  it("says the signature was rejected when the user declines the SIWE message, and is not signed in", async () => {
    wallet.rejectNext.add("personal_sign");
    const r = await clickForStatus(page, "#sign-in", "auth-status");
    expect(r.kind).to.equal("error");
    expect(r.text).to.contain("Signature rejected");
    expect(await page.evaluate(() => sessionStorage.getItem("tributary.session"))).to.equal(null);
  });

  it("signs in with SIWE and shows earnings, datasets with consent, and a pending root's claimable time", async () => {
    epoch = await s.closeAndPropose();
    const r = await clickForStatus(page, "#sign-in", "auth-status");
    expect(r.kind, r.text).to.equal("ok");
    expect(r.text).to.contain("roles: creator");
    await page.waitForSelector("#claims-table");
    expect(await page.textContent("#earnings"))
      .to.contain("TUSD")
      .and.contain("TEUR");
    expect(await page.textContent("#datasets"))
      .to.contain("Field recordings")
      .and.contain("60%")
      .and.contain("1 active (training)");
    // Consent coverage per scope: the whole-dataset receipt is the training basis; inference has none.
    expect(await page.textContent(".consent-coverage")).to.equal("training: receipts; inference: no basis");
    expect(await page.textContent("#webhooks")).to.contain("No webhooks yet.");

    const pending = await clickForStatus(page, "#claim-all", "claim-status");
    expect(pending.kind).to.equal("warn");
    expect(pending.text).to.contain("Root not claimable yet").and.contain(`epoch ${epoch.epoch}`);
    expect(pending.text).to.contain(new Date(epoch.readyAt * 1000).toISOString().replace(".000Z", "Z"));
  });

  it("claims all tokens in one claimBatch transaction; each balance grows by exactly the amount shown as claimable", async () => {
    await s.passTimelock(epoch.epoch);
    await refresh();
    const api = await s.call<Proofs>("GET", `/v1/proofs/${s.accounts.creator.address}`);
    const shown = await shownClaimable();
    expect(shown).to.have.length(2);
    for (const p of api.proofs) {
      const row = shown.find((x) => x.token === p.token.toLowerCase())!;
      expect(row.units, "page claimable = cumulative - claimed (0 so far)").to.equal(p.cumulative);
      expect(BigInt(row.units) > 0n).to.equal(true);
    }
    // The TEUR share is a few base units: shown with all 18 decimals, never as 0.
    const teur = shown.find((x) => x.token === s.tokens.teur.address.toLowerCase())!;
    expect(teur.text).to.match(/^0\.0{17}[1-9] TEUR$/);
    await screenshot(page, "creator-before-claim");

    const before = {
      tusd: await s.balanceOf(s.tokens.tusd.address, s.accounts.creator.address),
      teur: await s.balanceOf(s.tokens.teur.address, s.accounts.creator.address),
    };
    const sent = wallet.sent.length;
    const done = await clickForStatus(page, "#claim-all", "claim-status");
    expect(done.kind, done.text).to.equal("ok");
    expect(done.text).to.contain("claimBatch");
    expect(wallet.sent.length).to.equal(sent + 1);
    expect(await functionOf(wallet.sent[sent])).to.equal("claimBatch");
    const after = {
      tusd: await s.balanceOf(s.tokens.tusd.address, s.accounts.creator.address),
      teur: await s.balanceOf(s.tokens.teur.address, s.accounts.creator.address),
    };
    expect((after.tusd - before.tusd).toString()).to.equal(
      shown.find((x) => x.token === s.tokens.tusd.address.toLowerCase())!.units,
    );
    expect((after.teur - before.teur).toString()).to.equal(teur.units);
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll(".claimable")).every((e) => (e as HTMLElement).dataset.units === "0"),
    );
    await screenshot(page, "creator-after-claim");
  });

  it("says there is nothing to claim once everything was claimed, and sends nothing", async () => {
    const sent = wallet.sent.length;
    const r = await clickForStatus(page, "#claim-all", "claim-status");
    expect(r.kind).to.equal("info");
    expect(r.text).to.contain("Nothing to claim");
    expect(wallet.sent.length).to.equal(sent);
  });

  it("says the wallet is on the wrong network when it switched chains after connecting, and sends nothing", async () => {
    const sent = wallet.sent.length;
    wallet.chainId = 1;
    try {
      const r = await clickForStatus(page, "#claim-all", "claim-status");
      expect(r.kind).to.equal("error");
      expect(r.text).to.contain("Wrong network").and.contain("chain 1");
      expect(wallet.sent.length).to.equal(sent);
    } finally {
      wallet.chainId = 31337;
    }
  });

  it("claims a single token with claim(): the contributor's TUSD balance grows by exactly its claimable amount", async () => {
    const other = await openWithWallet(browser, `${s.baseUrl}/creator`, s.accounts.contributor, {
      width: 390,
      height: 844,
    });
    try {
      expect((await clickForStatus(other.page, "#connect", "wallet-status")).kind).to.equal("ok");
      expect((await clickForStatus(other.page, "#sign-in", "auth-status")).kind).to.equal("ok");
      await other.page.waitForSelector("#claims-table");
      const tusd = s.tokens.tusd.address;
      const units = await other.page
        .$eval(`.claimable[data-token="${tusd}"]`, (e) => (e as HTMLElement).dataset.units!)
        .catch(async () =>
          other.page.$eval(`.claimable[data-token="${tusd.toLowerCase()}"]`, (e) => (e as HTMLElement).dataset.units!),
        );
      expect(BigInt(units) > 0n).to.equal(true);
      const before = await s.balanceOf(tusd, s.accounts.contributor.address);
      const done = await clickForStatus(other.page, `.claim-one[data-token="${tusd.toLowerCase()}"]`, "claim-status");
      expect(done.kind, done.text).to.equal("ok");
      expect(await functionOf(other.wallet.sent[0])).to.equal("claim");
      expect((await s.balanceOf(tusd, s.accounts.contributor.address)) - before).to.equal(BigInt(units));
      expect(await horizontalOverflow(other.page), "content running off a 390 px phone screen").to.equal("none");
      await screenshot(other.page, "creator-phone-after-single-claim");

      // A revert the page cannot foresee (the guardian paused the splitter) is decoded from the contract's error.
      await s.asAccount(2, "pause");
      try {
        const teur = s.tokens.teur.address.toLowerCase();
        const before = other.wallet.sent.length;
        const paused = await clickForStatus(other.page, `.claim-one[data-token="${teur}"]`, "claim-status");
        expect(paused.kind).to.equal("error");
        expect(paused.text, paused.text).to.contain("paused by the guardian");
        expect(other.wallet.sent.length).to.equal(before);
      } finally {
        await s.asAccount(0, "unpause");
      }
    } finally {
      await other.context.close();
    }
  });
  it("lists every dataset of a creator with more than one page of them (GET /v1/datasets is paginated by 100)", async () => {
    const token = await s.signIn(s.accounts.creator);
    // 100 more beside the stack's "Field recordings": 101 in all, so the page must read a second page.
    for (let n = 1; n <= 100; n++) {
      await s.call("POST", "/v1/datasets", token, {
        id: `0x${n.toString(16).padStart(64, "a")}`,
        name: `Extra set ${n}`,
        shares: [{ account: s.accounts.creator.address, bps: 10_000 }],
      });
    }
    await refresh();
    const names = await page.$$eval("#datasets tbody tr", (rows) =>
      rows.map((r) => (r.querySelector("td") as HTMLElement).textContent),
    );
    expect(names.length).to.equal(101);
    expect(new Set(names)).to.deep.equal(
      new Set(["Field recordings", ...Array.from({ length: 100 }, (_, i) => `Extra set ${i + 1}`)]),
    );
  });
});
