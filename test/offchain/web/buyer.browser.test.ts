/**
 * Buyer view in headless Chromium on a phone-sized screen: licenses with deposit instructions, a deposit by
 * approve + deposit and one by permit, each moving exactly the amount entered into the splitter and seen by
 * the deposit indexer; a transaction rejected in the wallet deposits nothing; a cancelled license's money and
 * refund after the next close, and a refund claim from the page paying the buyer exactly the refund shown.
 * Runs with `npm run test:browser` (TRIBUTARY_BROWSER_TESTS=1), not in `npm test`.
 */
import { expect } from "chai";
import type { Browser, Page } from "playwright-core";
import {
  clickForStatus,
  horizontalOverflow,
  launchBrowser,
  openWithWallet,
  screenshot,
  type TestWallet,
} from "../helpers/browser";
import { startWebStack, type WebStack } from "../helpers/web-stack";

const run = process.env.TRIBUTARY_BROWSER_TESTS === "1" ? describe : describe.skip;

run("offchain/web buyer view (browser)", function () {
  this.timeout(120_000);
  let s: WebStack;
  let browser: Browser;
  let page: Page;
  let wallet: TestWallet;

  before(async () => {
    s = await startWebStack({ depositOnChain: false });
    ({ browser } = await launchBrowser());
    ({ page, wallet } = await openWithWallet(browser, `${s.baseUrl}/buyer`, s.accounts.buyer, {
      width: 390,
      height: 844,
    }));
    expect((await clickForStatus(page, "#connect", "wallet-status")).kind).to.equal("ok");
    expect((await clickForStatus(page, "#sign-in", "auth-status")).kind).to.equal("ok");
    await page.waitForSelector("#licenses-table");
  });
  after(async () => {
    await browser?.close();
    await s?.close();
  });

  const depositsInDb = () => s.db.prisma.deposit.count();
  const signInAgain = async () => {
    await page.reload();
    await page.waitForFunction(() => document.body.dataset.ready === "true");
    expect((await clickForStatus(page, "#connect", "wallet-status")).kind).to.equal("ok");
    expect((await clickForStatus(page, "#sign-in", "auth-status")).kind).to.equal("ok");
    await page.waitForSelector("#licenses-table");
  };
  const moneyOf = (licenseId: string) =>
    page.$eval(`.money[data-license="${licenseId}"]`, (e) => {
      const d = (e as HTMLElement).dataset;
      return [d.deposited, d.recognized, d.refunded, d.escrow];
    });
  const shownRefunds = () =>
    page.$$eval(".refund-claimable", (els) =>
      els.map((e) => [
        (e as HTMLElement).dataset.token!.toLowerCase(),
        (e as HTMLElement).dataset.units,
        e.textContent,
      ]),
    );

  it("lists both licenses with deposit instructions naming the splitter, the token and the amount", async () => {
    const text = (await page.textContent("#licenses-table")) ?? "";
    expect(text)
      .to.contain("one-time, 1000.000000000000000003 TUSD")
      .and.contain("one-time, 0.000000000000000007 TEUR");
    expect(await page.inputValue(`.amount[data-license="${s.licenses.tusd}"]`)).to.equal("1000.000000000000000003");
  });

  it("reports a deposit rejected in the wallet and moves no tokens", async () => {
    const before = await s.balanceOf(s.tokens.tusd.address, s.splitter);
    wallet.rejectNext.add("eth_sendTransaction");
    const r = await clickForStatus(page, `.deposit-approve[data-license="${s.licenses.tusd}"]`, "deposit-status");
    expect(r.kind).to.equal("error");
    expect(r.text).to.contain("Rejected in your wallet");
    expect(await s.balanceOf(s.tokens.tusd.address, s.splitter)).to.equal(before);
  });

  it("deposits with approve + deposit: the splitter receives exactly the amount and the indexer records it", async () => {
    const before = {
      splitter: await s.balanceOf(s.tokens.tusd.address, s.splitter),
      buyer: await s.balanceOf(s.tokens.tusd.address, s.accounts.buyer.address),
    };
    const sent = wallet.sent.length;
    const r = await clickForStatus(page, `.deposit-approve[data-license="${s.licenses.tusd}"]`, "deposit-status");
    expect(r.kind, r.text).to.equal("ok");
    expect(wallet.sent.length - sent).to.equal(2); // approve, deposit
    const amount = 1_000_000_000_000_000_000_003n;
    expect((await s.balanceOf(s.tokens.tusd.address, s.splitter)) - before.splitter).to.equal(amount);
    expect(before.buyer - (await s.balanceOf(s.tokens.tusd.address, s.accounts.buyer.address))).to.equal(amount);
    await s.indexDeposits();
    const row = await s.db.prisma.deposit.findFirst({ where: { licenseId: s.licenses.tusd } });
    expect(row?.amount.toFixed()).to.equal(amount.toString());
  });

  it("deposits with an EIP-2612 permit: one signature, one transaction, exactly the amount entered", async () => {
    const before = await s.balanceOf(s.tokens.teur.address, s.splitter);
    const sent = wallet.sent.length;
    const input = `.amount[data-license="${s.licenses.teur}"]`;
    await page.fill(input, "0.000000000000000005");
    const r = await clickForStatus(page, `.deposit-permit[data-license="${s.licenses.teur}"]`, "deposit-status");
    expect(r.kind, r.text).to.equal("ok");
    expect(r.text).to.contain("(permit)");
    expect(wallet.requests).to.include("eth_signTypedData_v4");
    expect(wallet.sent.length - sent).to.equal(1);
    expect((await s.balanceOf(s.tokens.teur.address, s.splitter)) - before).to.equal(5n);
    await s.indexDeposits();
    expect(await depositsInDb()).to.equal(2);
    expect(await horizontalOverflow(page), "content running off a 390 px phone screen").to.equal("none");
    await screenshot(page, "buyer-phone-after-permit-deposit");
  });

  it("shows no revocation notice before a revocation, then the notice naming the license and item after one", async () => {
    expect(await page.textContent("#revocations")).to.contain("No revocations affect your licenses.");
    const creator = await s.signIn(s.accounts.creator);
    const datasetId = `0x${"d1".repeat(32)}`;
    const [consent] = await s.call<{ id: string }[]>("GET", `/v1/datasets/${datasetId}/consents`, creator);
    await s.call("POST", `/v1/consents/${consent.id}/revoke`, creator, {});
    await page.reload();
    await page.waitForFunction(() => document.body.dataset.ready === "true");
    expect((await clickForStatus(page, "#connect", "wallet-status")).kind).to.equal("ok");
    expect((await clickForStatus(page, "#sign-in", "auth-status")).kind).to.equal("ok");
    await page.waitForSelector("#revocations-table");
    const text = (await page.textContent("#revocations-table")) ?? "";
    // Both licenses cover the dataset for training, so each gets a notice; the consent covered the whole dataset.
    expect(text.match(/whole dataset/g)).to.have.length(2);
    expect(text).to.contain("Exclude the dataset from further use").and.contain("training");
  });

  it("registers a webhook from the page: the secret is shown once and the endpoint is listed", async () => {
    await page.fill("#webhook-url", "https://hooks.example.org/buyer");
    const r = await clickForStatus(page, "#webhook-add", "webhook-status");
    expect(r.kind, r.text).to.equal("ok");
    expect(r.text).to.match(/Signing secret \(shown once, keep it\): whsec_[A-Za-z0-9+/=]{40,}/);
    const listed = (await page.textContent("#webhooks-table")) ?? "";
    expect(listed).to.contain("https://hooks.example.org/buyer").and.contain("consent.revoked");
    expect(listed).to.contain("0 delivered, 0 pending, 0 failed");
    const bad = await (async () => {
      await page.fill("#webhook-url", "http://insecure.example.org/");
      return clickForStatus(page, "#webhook-add", "webhook-status");
    })();
    expect(bad.kind).to.equal("error");
    expect(bad.text).to.contain("Not registered");
    expect(await horizontalOverflow(page), "content running off a 390 px phone screen").to.equal("none");
  });

  it("cancels the part-paid TEUR license: after the close the page shows its money and a 5-unit refund; claiming it pays exactly 5", async () => {
    const teur = s.licenses.teur;
    // The first click only asks for confirmation: nothing is cancelled yet.
    const ask = await clickForStatus(page, `.cancel[data-license="${teur}"]`, "cancel-status");
    expect(ask.kind, ask.text).to.equal("warn");
    expect(ask.text).to.contain("cannot be undone").and.contain("cancelled unpaid, every deposit is refunded");
    expect(
      (await s.call<{ status: string }>("GET", `/v1/licenses/${teur}`, await s.signIn(s.accounts.buyer))).status,
    ).to.equal("active");
    const cancelled = await clickForStatus(page, `.cancel[data-license="${teur}"]`, "cancel-status");
    expect(cancelled.kind, cancelled.text).to.equal("ok");
    expect(cancelled.text).to.contain("cancelled unpaid, every deposit is refunded");
    expect(await page.textContent(`.license-status[data-license="${teur}"]`)).to.equal("cancelled");
    expect(await page.$(`.cancel[data-license="${teur}"]`)).to.equal(null);
    expect(await page.textContent("#refunds")).to.contain("No refunds for this address yet.");

    const { epoch } = await s.closeAndPropose();
    await s.passTimelock(epoch);
    await signInAgain();
    // TUSD: the one-time fee of 1,000.000000000000000003 was paid in full, so it is recognized and final.
    expect(await moneyOf(s.licenses.tusd)).to.deep.equal([
      "1000000000000000000003",
      "1000000000000000000003",
      "0",
      "0",
    ]);
    // TEUR: 5 of the 7-unit fee deposited, then cancelled: nothing recognized, all 5 refunded (a leaf for the buyer).
    expect(await moneyOf(teur)).to.deep.equal(["5", "0", "5", "0"]);
    const teurToken = s.tokens.teur.address.toLowerCase();
    expect(await shownRefunds()).to.deep.equal([[teurToken, "5", "0.000000000000000005 TEUR"]]);

    const before = await s.balanceOf(s.tokens.teur.address, s.accounts.buyer.address);
    const sent = wallet.sent.length;
    const r = await clickForStatus(page, `.claim-refund[data-token="${teurToken}"]`, "refund-status");
    expect(r.kind, r.text).to.equal("ok");
    expect(r.text).to.contain("claimed 0.000000000000000005 TEUR").and.contain("(claim)");
    expect(wallet.sent.length - sent).to.equal(1);
    expect((await s.balanceOf(s.tokens.teur.address, s.accounts.buyer.address)) - before).to.equal(5n);
    expect(await shownRefunds()).to.deep.equal([[teurToken, "0", "0 TEUR"]]);
    expect(await page.textContent("#refunds-table")).to.contain("All claimed");
    const again = await clickForStatus(page, "#claim-refunds", "refund-status");
    expect(again.kind, again.text).to.equal("info");
    expect(again.text).to.contain("Nothing to claim");
    expect(await horizontalOverflow(page), "content running off a 390 px phone screen").to.equal("none");
    await screenshot(page, "buyer-phone-after-refund-claim");
  });
});
