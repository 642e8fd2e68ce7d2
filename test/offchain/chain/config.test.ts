import { expect } from "chai";
import { moduleConfigs } from "../../../offchain/chain/config";
import { loadSettings } from "../../../offchain/config";

describe("offchain/chain/config", () => {
  it("derives every module's config for one splitter", () => {
    const splitter = "0x00000000000000000000000000000000000000aa";
    const m = moduleConfigs(loadSettings({ CONFIRMATIONS: "3" }).chain, splitter, 42n);
    expect(m.deposits).to.deep.include({ splitter, startBlock: 42n, confirmations: 3, reorgDepth: 6 });
    expect(m.claims).to.deep.include({ splitter, startBlock: 42n, confirmations: 3 });
    expect(m.publisher).to.deep.include({ splitter, startBlock: 42n, feeBumpPercent: 25, correctionEpoch: undefined });
  });

  it("hands ROOT_CORRECTION_EPOCH to the publisher as the one epoch it may propose while paused", () => {
    const splitter = "0x00000000000000000000000000000000000000aa";
    const m = moduleConfigs(loadSettings({ ROOT_CORRECTION_EPOCH: "7" }).chain, splitter);
    expect(m.publisher.correctionEpoch).to.equal(7);
    expect(() => loadSettings({ ROOT_CORRECTION_EPOCH: "0" })).to.throw("ROOT_CORRECTION_EPOCH");
  });
});
