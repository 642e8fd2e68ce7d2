/**
 * The splitter's token allow-list as the API learns it: read from RoyaltySplitter.isTokenAllowed on the chain
 * (following setTokenAllowed at once), and an offer in a token the splitter refuses is a 422 with nothing stored.
 */
import { expect } from "chai";
import request from "supertest";
import type { Address } from "viem";
import { royaltySplitterAbi } from "../../../../offchain/chain/abi";
import { createApp } from "../../../../offchain/api/app";
import { splitterTokenAllowList } from "../../../../offchain/api/services/token-allow-list";
import { createChainClients } from "../../../../offchain/chain/clients";
import { bearer, startTestApi, TOKEN, type TestApi } from "../../helpers/api";
import { clientsFor, deployStack } from "../../helpers/chain";
import { rowCounts, TEST_DATABASE } from "../../helpers/database";
import { buildScenario, type Scenario } from "../../helpers/scenario";

describe(`offchain/api/services/token-allow-list (${TEST_DATABASE})`, function () {
  let t: TestApi;
  let s: Scenario;
  before(async () => {
    t = await startTestApi();
    s = await buildScenario(t);
  });
  after(async () => t?.close());

  const offer = (token: string) => ({
    model: "one_time",
    price: "5",
    token,
    scope: "training",
    durationSeconds: 3600,
    datasets: [{ datasetId: s.datasets.d2, weightBps: 10_000 }],
  });

  it("reads isTokenAllowed from the splitter, and follows setTokenAllowed at the next call", async () => {
    const stack = await deployStack();
    const admin = clientsFor(0);
    const list = splitterTokenAllowList({ publicClient: admin.publicClient, splitter: stack.splitter });
    const other = ("0x" + "42".repeat(20)) as Address;
    expect(await list.isAllowed(stack.stablecoin)).to.equal(true);
    expect(await list.isAllowed(other)).to.equal(false);
    const hash = await admin.walletClient!.writeContract({
      address: stack.splitter,
      abi: royaltySplitterAbi,
      functionName: "setTokenAllowed",
      args: [other, true],
    });
    await admin.publicClient.waitForTransactionReceipt({ hash });
    expect(await list.isAllowed(other)).to.equal(true);
  });

  it("reads a token's decimals from the chain (18 for the native sentinel; null when it has none)", async () => {
    const stack = await deployStack();
    const list = splitterTokenAllowList({ publicClient: clientsFor(0).publicClient, splitter: stack.splitter });
    // The test stablecoin is an 18-decimal ERC-20; the splitter itself has no decimals().
    expect(await list.decimalsOf(stack.stablecoin)).to.equal(18);
    expect(await list.decimalsOf("0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE")).to.equal(18);
    expect(await list.decimalsOf(stack.splitter)).to.equal(null);
  });

  it("an offer in a token the splitter does not allow is 422 naming /token; nothing is stored", async () => {
    const before = await rowCounts(t.db);
    const res = await request(t.app)
      .post("/v1/offers")
      .set(bearer(s.tokens.creatorA))
      .send(offer("0x" + "42".repeat(20)))
      .expect(422);
    expect(res.body.errors).to.deep.equal([
      { path: "/token", message: "not on the RoyaltySplitter's token allow-list", code: "token-not-allowed" },
    ]);
    expect(await rowCounts(t.db)).to.deep.equal(before);
    // The allowed token, in any case, is accepted.
    await request(t.app)
      .post("/v1/offers")
      .set(bearer(s.tokens.creatorA))
      .send(offer(TOKEN.toUpperCase().replace("0X", "0x")))
      .expect(201);
  });

  it("an allow-list that cannot be read (no chain) is a 503 problem, not a 500, and stores nothing", async () => {
    const down = createChainClients({ rpcUrl: "http://127.0.0.1:9" });
    const app = createApp({
      common: t.common,
      db: t.db,
      tokens: splitterTokenAllowList({
        publicClient: down.publicClient,
        splitter: ("0x" + "5b".repeat(20)) as Address,
      }),
    });
    const before = await rowCounts(t.db);
    const res = await request(app).post("/v1/offers").set(bearer(s.tokens.creatorA)).send(offer(TOKEN)).expect(503);
    expect(res.headers["content-type"]).to.match(/^application\/problem\+json/);
    expect(await rowCounts(t.db)).to.deep.equal(before);
  });
});
