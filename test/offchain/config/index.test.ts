import { expect } from "chai";
import { loadConfig } from "../../../offchain/config";

describe("offchain/config", () => {
  it("runs the embedded setup with no environment at all", () => {
    const c = loadConfig({});
    expect(c.database).to.deep.equal({ url: undefined, dataDir: ".data" });
    expect(c.http).to.deep.equal({ host: "127.0.0.1", port: 8080 });
    expect(c.siwe).to.deep.equal({ domain: "localhost:8080", sessionTtlSeconds: 86_400, nonceTtlSeconds: 600 });
    expect(c.platformFeeBps).to.equal(0);
  });

  it("lowercases addresses and parses numbers", () => {
    const c = loadConfig({
      BOOTSTRAP_OPERATOR: "0xAbCdEf0000000000000000000000000000000001",
      PORT: "9000",
      PLATFORM_FEE_BPS: "250",
      TREASURY_ADDRESS: "0x00000000000000000000000000000000000000Fe",
    });
    expect(c.bootstrapOperator).to.equal("0xabcdef0000000000000000000000000000000001");
    expect(c.http.port).to.equal(9000);
    expect(c.platformFeeBps).to.equal(250);
  });

  it("refuses invalid values, naming every bad variable", () => {
    let message = "";
    try {
      loadConfig({ PORT: "http", BOOTSTRAP_OPERATOR: "0x12", PLATFORM_FEE_BPS: "10001", DATABASE_URL: "nope" });
    } catch (e) {
      message = (e as Error).message;
    }
    for (const v of ["PORT", "BOOTSTRAP_OPERATOR", "PLATFORM_FEE_BPS", "DATABASE_URL"]) expect(message).to.include(v);
  });

  it("refuses a platform fee without a treasury: the fee leaf could never be claimed", () => {
    expect(() => loadConfig({ PLATFORM_FEE_BPS: "250" })).to.throw(
      /TREASURY_ADDRESS: must be set when PLATFORM_FEE_BPS > 0/,
    );
    expect(loadConfig({ PLATFORM_FEE_BPS: "0" }).platformFeeBps).to.equal(0);
  });
});
