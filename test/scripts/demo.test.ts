import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { royaltySplitterAbi, testStablecoinAbi } from "../../offchain/chain";
import { startTributary, type Tributary } from "../../offchain/main/start";
import { runStory, type StoryResult } from "../../scripts/demo/story";

describe("scripts/demo (end to end, in-process)", function () {
  this.timeout(120_000);
  let t: Tributary;
  let result: StoryResult;
  let dataDir: string;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-e2e-"));
    t = await startTributary({
      env: { DATA_DIR: dataDir, PORT: "0", DEV_CHAIN_PORT: "0", LOG_LEVEL: "silent", PLATFORM_FEE_BPS: "250" },
      background: false,
    });
    result = await runStory(t);
  });
  after(async () => {
    await t?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("passes every check the demo prints", () => {
    expect(result.checks.filter((c) => !c.ok)).to.deep.equal([]);
    expect(result.checks.length).to.be.greaterThanOrEqual(10);
  });

  it("leaves every account's on-chain balance (creators', treasury's, the buyer's refund) equal to its leaf in the published file", async () => {
    const file = await (await fetch(`${t.apiUrl}/v1/epochs/${result.audit.epoch}/distribution`)).text();
    const leaves = file
      .trim()
      .split("\n")
      .slice(1)
      .map((l) => JSON.parse(l) as [string, string, string]);
    expect(leaves.length).to.equal(result.rows.length);
    for (const [account, token, cumulative] of leaves) {
      const balance = await t.clients.publicClient.readContract({
        address: token as `0x${string}`,
        abi: testStablecoinAbi,
        functionName: "balanceOf",
        args: [account as `0x${string}`],
      });
      expect(balance, account).to.equal(BigInt(cumulative));
    }
  });

  it("leaves the splitter holding exactly deposits minus claims (the creators' and the buyer's refund)", async () => {
    const held = await t.clients.publicClient.readContract({
      address: t.stablecoin!,
      abi: testStablecoinAbi,
      functionName: "balanceOf",
      args: [t.splitter],
    });
    const deposited = await t.clients.publicClient.readContract({
      address: t.splitter,
      abi: royaltySplitterAbi,
      functionName: "totalDeposited",
      args: [t.stablecoin!],
    });
    expect(deposited).to.equal(result.deposited);
    expect(held).to.equal(result.deposited - result.claimedTotal);
    expect(result.claimedTotal - result.refundClaimed > 0n).to.equal(true);
    expect(result.claimedTotal > 0n).to.equal(true);
  });

  it("refunds the cancelled subscription's unstarted period to the buyer, claimed through the CLI's claim code", async () => {
    // 300 TUSD deposited for a 100 TUSD/h subscription, cancelled ten minutes into its second hour: two periods
    // kept, the third (never started) refunded: 300 − 2 × 100 = 100 TUSD.
    const refund = 100n * 10n ** 18n;
    expect([result.refund, result.refundClaimed]).to.deep.equal([refund, refund]);
    const buyer = t.devAccounts![3].address;
    const balance = await t.clients.publicClient.readContract({
      address: t.stablecoin!,
      abi: testStablecoinAbi,
      functionName: "balanceOf",
      args: [buyer],
    });
    expect(balance).to.equal(refund); // the buyer minted exactly what it deposited
    const claimed = await t.clients.publicClient.readContract({
      address: t.splitter,
      abi: royaltySplitterAbi,
      functionName: "claimed",
      args: [buyer, t.stablecoin!],
    });
    expect(claimed).to.equal(refund);
    const m = result.money.subscription;
    expect([m.status, m.deposited, m.refunded]).to.deep.equal([
      "cancelled",
      (3n * refund).toString(),
      refund.toString(),
    ]);
    expect(BigInt(m.deposited)).to.equal(BigInt(m.recognized) + BigInt(m.refunded) + BigInt(m.escrow));
  });

  it("shows the other licenses' money as computed by hand, nothing refunded", () => {
    const T = 10n ** 18n;
    const view = (k: keyof StoryResult["money"]) => {
      const m = result.money[k];
      return [m.deposited, m.recognized, m.refunded, m.escrow, m.owed];
    };
    expect(view("oneTime")).to.deep.equal([`${1000n * T + 3n}`, `${1000n * T + 3n}`, "0", "0", "0"]);
    expect(view("bundle")).to.deep.equal([`${250n * T}`, `${250n * T}`, "0", "0", "0"]);
    // 157 units × 0.5 TUSD = 78.5 TUSD drawn from a 100 TUSD escrow
    expect(view("perUse")).to.deep.equal([`${100n * T}`, `${(785n * T) / 10n}`, "0", `${(215n * T) / 10n}`, "0"]);
    // 15% of 1234.56 TUSD = 185.184 TUSD drawn from a 300 TUSD escrow
    expect(view("revenueShare")).to.deep.equal([
      `${300n * T}`,
      `${(185184n * T) / 1000n}`,
      "0",
      `${(114816n * T) / 1000n}`,
      "0",
    ]);
  });

  it("published exactly one root, for epoch 1", async () => {
    const logs = await t.clients.publicClient.getContractEvents({
      address: t.splitter,
      abi: royaltySplitterAbi,
      eventName: "RootProposed",
      fromBlock: 0n,
      strict: true,
    });
    expect(logs.map((l) => l.args.epoch)).to.deep.equal([1]);
  });
});
