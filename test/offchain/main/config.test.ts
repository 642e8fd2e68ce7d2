import { expect } from "chai";
import { loadMainConfig } from "../../../offchain/main/config";

describe("offchain/main/config", () => {
  it("with no configuration runs the development default (no real chain, data in .data)", () => {
    const c = loadMainConfig({});
    expect(c.real).to.equal(undefined);
    expect(c.dataDir).to.equal(".data");
    expect(c.chain.devChainPort).to.equal(8545);
  });

  it("with RPC_URL demands the splitter address and a publisher key, naming both", () => {
    expect(() => loadMainConfig({ RPC_URL: "http://127.0.0.1:9999" })).to.throw(/SPLITTER_ADDRESS.*KEYSTORE_PATH/);
  });

  it("with RPC_URL, SPLITTER_ADDRESS and KEYSTORE_PATH + KEYSTORE_PASSWORD selects the real chain and the keystore", () => {
    const c = loadMainConfig({
      RPC_URL: "http://127.0.0.1:9999",
      SPLITTER_ADDRESS: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      KEYSTORE_PATH: "/keys/poster.json",
      KEYSTORE_PASSWORD: "pw",
    });
    expect(c.real).to.deep.include({
      rpcUrl: "http://127.0.0.1:9999",
      splitter: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    });
    expect(c.real!.key).to.deep.equal({ keystorePath: "/keys/poster.json", password: "pw" });
  });
});
