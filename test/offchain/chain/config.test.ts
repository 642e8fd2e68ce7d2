import { expect } from "chai";
import { loadChainConfig, moduleConfigs } from "../../../offchain/chain/config";

describe("offchain/chain/config", () => {
  it("defaults to the development chain with 1 confirmation, and to 12 confirmations on a real RPC", () => {
    const dev = loadChainConfig({});
    expect(dev.rpcUrl).to.equal(undefined);
    expect([dev.confirmations, dev.reorgDepth, dev.pollIntervalMs, dev.startBlock]).to.deep.equal([1, 2, 500, 0n]);
    const real = loadChainConfig({ RPC_URL: "https://rpc.example.org", SPLITTER_START_BLOCK: "123456789012" });
    expect([real.confirmations, real.reorgDepth, real.pollIntervalMs, real.startBlock]).to.deep.equal([
      12,
      24,
      4000,
      123_456_789_012n,
    ]);
  });

  it("rejects a re-read window shallower than the confirmations and a fee bump nodes would refuse", () => {
    expect(() => loadChainConfig({ CONFIRMATIONS: "6", REORG_DEPTH: "3" })).to.throw("REORG_DEPTH");
    expect(() => loadChainConfig({ FEE_BUMP_PERCENT: "5" })).to.throw("FEE_BUMP_PERCENT");
  });

  it("derives every module's config for one splitter", () => {
    const splitter = "0x00000000000000000000000000000000000000aa";
    const m = moduleConfigs(loadChainConfig({ CONFIRMATIONS: "3" }), splitter, 42n);
    expect(m.deposits).to.deep.include({ splitter, startBlock: 42n, confirmations: 3, reorgDepth: 6 });
    expect(m.claims).to.deep.include({ splitter, startBlock: 42n, confirmations: 3 });
    expect(m.publisher).to.deep.include({ splitter, startBlock: 42n, feeBumpPercent: 25 });
  });
});
