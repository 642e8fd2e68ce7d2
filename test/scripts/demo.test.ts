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

  it("leaves every creator's on-chain balance equal to its allocation in the published file, to the base unit", async () => {
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

  it("leaves the splitter holding exactly deposits minus claims", async () => {
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
    expect(result.claimedTotal > 0n).to.equal(true);
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
