/**
 * Auditor page in headless Chromium, no wallet: it reads the chain through the configured JSON-RPC URL,
 * verifies that the published distribution file hashes to the on-chain content hash and rebuilds the on-chain
 * root, flags a tampered file, verifies a real proof step by step and flags a tampered one.
 * Runs with `npm run test:browser` (TRIBUTARY_BROWSER_TESTS=1), not in `npm test`.
 */
import { expect } from "chai";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { Hex } from "viem";
import { clickForStatus, horizontalOverflow, launchBrowser, screenshot } from "../helpers/browser";
import { startWebStack, type WebStack } from "../helpers/web-stack";
import { billedUsageRecords } from "../../../offchain/epochs";
import { buildUsageCommitment } from "../../../offchain/merkle/usage-commitment";

const run = process.env.TRIBUTARY_BROWSER_TESTS === "1" ? describe : describe.skip;
const PER_USE = `0x${"ee".repeat(32)}`;

run("offchain/web auditor page (browser)", function () {
  this.timeout(120_000);
  let s: WebStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let posted: { epoch: number; root: string; contentHash: string };

  before(async () => {
    s = await startWebStack();
    // One per-use license with a billed event (written through Prisma), so the epoch commits to usage a receipt proves.
    const base = await s.db.prisma.license.findUniqueOrThrow({
      where: { id: s.licenses.tusd },
      include: { datasets: true },
    });
    await s.db.prisma.license.create({
      data: {
        id: PER_USE,
        offerId: base.offerId,
        buyerId: base.buyerId,
        model: "per_use",
        token: base.token,
        scope: base.scope,
        ratePerUnit: "1",
        exclusive: false,
        startsAt: base.startsAt,
        endsAt: base.endsAt,
        datasets: { create: base.datasets.map((d) => ({ datasetId: d.datasetId, weightBps: d.weightBps })) },
      },
    });
    await s.db.prisma.usageEvent.create({
      data: {
        buyerId: base.buyerId,
        licenseId: PER_USE,
        datasetId: base.datasets[0].datasetId,
        itemRef: "item-1",
        units: "5",
        occurredAt: new Date(Math.max(base.startsAt.getTime(), Date.now() - 2_000)),
        idempotencyKey: "browser-1",
      },
    });
    posted = await s.closeAndPropose();
    await s.passTimelock(posted.epoch);
    ({ browser } = await launchBrowser());
    context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    page = await context.newPage();
    page.on("pageerror", (err) => console.log(`      [page error] ${err.message}`));
  });
  after(async () => {
    await browser?.close();
    await s?.close();
  });

  it("lists the epoch with its root, content hash and transaction, and reads the claimable root from the chain without a wallet", async () => {
    await page.goto(`${s.baseUrl}/auditor`);
    await page.waitForSelector("body[data-ready=true]");
    expect(await page.evaluate(() => "ethereum" in window)).to.equal(false);
    expect(await page.textContent("#claimable-root")).to.equal(posted.root);
    const row = await page.textContent("#epochs-table tbody tr");
    expect(row).to.contain("posted, same root").and.contain("TUSD").and.contain("TEUR");
  });

  it("checks the published file: keccak256 equals the on-chain content hash and the rebuilt root equals the on-chain root", async () => {
    const r = await clickForStatus(page, `.verify-file[data-epoch="${posted.epoch}"]`, "file-status");
    expect(r.kind, r.text).to.equal("ok");
    const lines = await page.$$eval("#file-check-list li", (els) =>
      els.map((e) => ({ ok: (e as HTMLElement).dataset.ok, text: e.textContent ?? "" })),
    );
    expect(lines.map((l) => l.ok)).to.deep.equal(["true", "true", "true", "true", "true", "true"]);
    expect(lines[2].text).to.contain(`${posted.contentHash} vs ${posted.contentHash}`);
    expect(lines[3].text).to.contain(`${posted.root} vs ${posted.root}`);
  });

  it("verifies a real proof picked from the file step by step against the on-chain root", async () => {
    const options = await page.$$eval("#pick option", (els) =>
      els.map((e) => (e as HTMLOptionElement).value).filter((v) => v !== ""),
    );
    expect(options.length).to.be.greaterThan(1);
    await page.selectOption("#pick", options[0]);
    const proofLength = (JSON.parse(await page.inputValue("#proof")) as string[]).length;
    expect(proofLength).to.be.greaterThan(0);
    const r = await clickForStatus(page, "#verify-proof", "proof-status");
    expect(r.kind, r.text).to.equal("ok");
    expect(r.text).to.contain("VALID");
    // leaf line + one line per proof element + the verdict
    expect(await page.$$eval("#proof-steps li", (els) => els.length)).to.equal(proofLength + 2);
    await screenshot(page, "auditor-valid-proof");
  });

  it("flags a proof whose cumulative amount was raised by one base unit as INVALID", async () => {
    const amount = BigInt(await page.inputValue("#cumulative"));
    await page.fill("#cumulative", (amount + 1n).toString());
    const r = await clickForStatus(page, "#verify-proof", "proof-status");
    expect(r.kind).to.equal("error");
    expect(r.text).to.contain("INVALID");
    expect(await page.textContent("#proof-steps li:last-child"))
      .to.contain("FAIL")
      .and.contain("does NOT equal");
    await screenshot(page, "auditor-tampered-proof");
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await horizontalOverflow(page), "content running off a 390 px phone screen").to.equal("none");
    await screenshot(page, "auditor-phone");
    await page.setViewportSize({ width: 1100, height: 900 });
  });

  it("verifies a pasted proof (from the API's /v1/proofs, one hash per line) against the on-chain root", async () => {
    const { proofs } = await s.call<{ proofs: { token: string; cumulative: string; proof: string[] }[] }>(
      "GET",
      `/v1/proofs/${s.accounts.creator.address}`,
    );
    const p = proofs.find((x) => x.token.toLowerCase() === s.tokens.teur.address.toLowerCase())!;
    await page.fill("#account", s.accounts.creator.address);
    await page.fill("#token", s.tokens.teur.address);
    await page.fill("#cumulative", p.cumulative);
    await page.fill("#proof", p.proof.join("\n"));
    const r = await clickForStatus(page, "#verify-proof", "proof-status");
    expect(r.kind, r.text).to.equal("ok");
    expect(r.text).to.contain("VALID");
    expect(await page.$$eval("#proof-steps li", (els) => els.length)).to.equal(p.proof.length + 2);
  });

  it("flags a published file whose bytes were altered in transit", async () => {
    await page.route(`**/v1/epochs/${posted.epoch}/distribution`, async (route) => {
      const res = await route.fetch();
      const text = (await res.text()).replace(/"(\d+)"\]\n$/, (_m, n: string) => `"${BigInt(n) + 1n}"]\n`);
      await route.fulfill({ response: res, body: text });
    });
    const r = await clickForStatus(page, `.verify-file[data-epoch="${posted.epoch}"]`, "file-status");
    await page.unroute(`**/v1/epochs/${posted.epoch}/distribution`);
    expect(r.kind).to.equal("error");
    expect(r.text).to.contain("INVALID");
    expect(await page.textContent("#file-checks")).to.contain("FAIL");
  });

  it("verifies a distribution file loaded from disk against the chain alone, with every API call failing", async () => {
    const bytes = Buffer.from(await (await fetch(`${s.baseUrl}/v1/epochs/${posted.epoch}/distribution`)).arrayBuffer());
    // The page is loaded; from here the service is as good as down: any API request fails.
    await page.route("**/v1/**", (route) => route.abort());
    try {
      await page.setInputFiles("#local-file", {
        name: "epoch.ndjson",
        mimeType: "application/x-ndjson",
        buffer: bytes,
      });
      const r = await clickForStatus(page, "#verify-local", "file-status");
      expect(r.kind, r.text).to.equal("ok");
      expect(r.text).to.contain(`epoch.ndjson (epoch ${posted.epoch}): all 5 checks passed`);
      const lines = await page.$$eval("#file-check-list li", (els) => els.map((e) => (e as HTMLElement).dataset.ok));
      expect(lines).to.deep.equal(["true", "true", "true", "true", "true"]);
      expect(await page.textContent("#file-check-list")).to.contain(`${posted.contentHash} vs ${posted.contentHash}`);

      // The last leaf raised by one base unit: the header totals no longer match, so the reader rejects the file.
      const forged = Buffer.from(
        bytes.toString("latin1").replace(/"(\d+)"\]\n$/, (_m, n: string) => `"${BigInt(n) + 1n}"]\n`),
        "latin1",
      );
      await page.setInputFiles("#local-file", {
        name: "forged.ndjson",
        mimeType: "application/x-ndjson",
        buffer: forged,
      });
      const bad = await clickForStatus(page, "#verify-local", "file-status");
      expect(bad.kind).to.equal("error");
      expect(bad.text).to.contain("forged.ndjson: the file is INVALID");
    } finally {
      await page.unroute("**/v1/**");
    }
  });

  it("verifies a usage receipt against the usage root in the verified file's header, and flags a changed one", async () => {
    const r0 = await clickForStatus(page, `.verify-file[data-epoch="${posted.epoch}"]`, "file-status");
    expect(r0.kind, r0.text).to.equal("ok");
    const row = await s.db.prisma.epoch.findUniqueOrThrow({ where: { id: posted.epoch } });
    // An event receipt as the buyer route builds it: the stored salt, under the epoch's published root.
    const { records, salts } = await billedUsageRecords(s.db.prisma, row.startsAt, row.endsAt);
    const commitment = await buildUsageCommitment({
      epoch: posted.epoch,
      secret: row.usageSecret as Hex,
      records,
      salts,
    });
    expect(commitment.root).to.equal(row.usageRoot);
    const receipt = commitment.receipt(commitment.records.findIndex((r) => r.kind === "event"));
    await page.fill("#receipt", JSON.stringify({ epoch: posted.epoch, contentHash: posted.contentHash, receipt }));
    const ok = await clickForStatus(page, "#verify-receipt", "receipt-status");
    expect(ok.kind, ok.text).to.equal("ok");
    expect(ok.text).to.equal(
      `Done: VALID: the receipt's record is committed in epoch ${posted.epoch} (usage root ${row.usageRoot}).`,
    );
    await page.fill("#receipt", JSON.stringify({ ...receipt, record: { ...receipt.record, units: "6" } }));
    const bad = await clickForStatus(page, "#verify-receipt", "receipt-status");
    expect(bad.kind).to.equal("error");
    expect(bad.text).to.match(/^Error: INVALID: proof leads to 0x[0-9a-f]{64}, not 0x[0-9a-f]{64}\.$/);
  });
});
