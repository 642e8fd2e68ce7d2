import { expect } from "chai";
import { loadConfig, loadSettings, realChain, serviceConfig } from "../../../offchain/config";

const message = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return "";
};

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
    const m = message(() =>
      loadConfig({ PORT: "http", BOOTSTRAP_OPERATOR: "0x12", PLATFORM_FEE_BPS: "10001", DATABASE_URL: "nope" }),
    );
    for (const v of ["PORT", "BOOTSTRAP_OPERATOR", "PLATFORM_FEE_BPS", "DATABASE_URL"]) expect(m).to.include(v);
  });

  it("reads the Ignition module's token allow-list: lowercase, blanks dropped, empty by default, bad entries named", () => {
    expect(loadSettings({}).deployment).to.deep.equal({ allowedTokens: [] });
    expect(
      loadSettings({
        SPLITTER_ALLOWED_TOKENS:
          " 0xAbCdEf0000000000000000000000000000000001, ,0x00000000000000000000000000000000000000Fe",
      }).deployment,
    ).to.deep.equal({
      allowedTokens: ["0xabcdef0000000000000000000000000000000001", "0x00000000000000000000000000000000000000fe"],
    });
    expect(message(() => loadSettings({ SPLITTER_ALLOWED_TOKENS: "0x12" }))).to.equal(
      "invalid environment:\n  SPLITTER_ALLOWED_TOKENS.0: expected a 20-byte 0x-hex address",
    );
  });

  it("refuses a platform fee without a treasury: the fee leaf could never be claimed", () => {
    expect(() => loadConfig({ PLATFORM_FEE_BPS: "250" })).to.throw(
      /TREASURY_ADDRESS: must be set when PLATFORM_FEE_BPS > 0/,
    );
    expect(loadConfig({ PLATFORM_FEE_BPS: "0" }).platformFeeBps).to.equal(0);
  });
});

describe("offchain/config settings (the one reader of the environment)", () => {
  it("defaults to the development chain with 1 confirmation, and to 12 confirmations on a real RPC", () => {
    const dev = loadSettings({}).chain;
    expect(dev.rpcUrl).to.equal(undefined);
    expect([dev.confirmations, dev.reorgDepth, dev.pollIntervalMs, dev.startBlock]).to.deep.equal([1, 2, 500, 0n]);
    expect(loadSettings({}).devChain).to.deep.equal({ port: 8545, timelockSeconds: 120, watchRoots: false });
    expect(loadSettings({ WATCH_ROOTS: "1" }).devChain.watchRoots).to.equal(true);
    const real = loadSettings({ RPC_URL: "https://rpc.example.org", SPLITTER_START_BLOCK: "123456789012" }).chain;
    expect([real.confirmations, real.reorgDepth, real.pollIntervalMs, real.startBlock]).to.deep.equal([
      12,
      24,
      4000,
      123_456_789_012n,
    ]);
  });

  it("rejects a re-read window shallower than the confirmations and a fee bump nodes would refuse", () => {
    expect(() => loadSettings({ CONFIRMATIONS: "6", REORG_DEPTH: "3" })).to.throw("REORG_DEPTH");
    expect(() => loadSettings({ FEE_BUMP_PERCENT: "5" })).to.throw("FEE_BUMP_PERCENT");
  });

  it("refuses the old key variable names, naming the new ones, instead of silently ignoring a key", () => {
    const m = message(() =>
      loadSettings({ PUBLISHER_PRIVATE_KEY: `0x${"11".repeat(32)}`, PUBLISHER_KEYSTORE: "k.json" }),
    );
    expect(m).to.include("PUBLISHER_PRIVATE_KEY: renamed PRIVATE_KEY");
    expect(m).to.include("PUBLISHER_KEYSTORE: renamed KEYSTORE_PATH");
    expect(m).not.to.include("11".repeat(32));
  });

  it("takes a private key or a keystore (preferred when both are set); a keystore needs its password", () => {
    const privateKey = `0x${"ab".repeat(32)}`;
    expect(loadSettings({ PRIVATE_KEY: privateKey }).key).to.deep.equal({ privateKey });
    expect(
      loadSettings({ PRIVATE_KEY: privateKey, KEYSTORE_PATH: "k.json", KEYSTORE_PASSWORD: "p" }).key,
    ).to.deep.equal({ keystorePath: "k.json", password: "p" });
    expect(loadSettings({}).key).to.equal(undefined);
    expect(() => loadSettings({ KEYSTORE_PATH: "k.json" })).to.throw("KEYSTORE_PASSWORD: required with KEYSTORE_PATH");
    const bad = message(() => loadSettings({ PRIVATE_KEY: "0x1234" }));
    expect(bad).to.include("PRIVATE_KEY: expected 0x followed by 64 hex digits").and.not.include("0x1234");
  });

  it("with RPC_URL demands the splitter address and a publisher key, naming both", () => {
    expect(() => realChain(loadSettings({ RPC_URL: "http://127.0.0.1:9999" }))).to.throw(
      /SPLITTER_ADDRESS.*KEYSTORE_PATH/,
    );
    const real = realChain(
      loadSettings({
        RPC_URL: "http://127.0.0.1:9999",
        SPLITTER_ADDRESS: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        KEYSTORE_PATH: "/keys/poster.json",
        KEYSTORE_PASSWORD: "pw",
      }),
    );
    expect(real).to.deep.equal({
      rpcUrl: "http://127.0.0.1:9999",
      splitter: "0x5fbdb2315678afecb367f032d93f642f64180aa3",
      key: { keystorePath: "/keys/poster.json", password: "pw" },
    });
    expect(realChain(loadSettings({}))).to.equal(undefined);
  });

  it("layers: defaults apply only where the environment is silent, fixed values win over it", () => {
    const s = loadSettings(
      { LOG_LEVEL: "warn", PORT: "9999" },
      { defaults: { LOG_LEVEL: "error", PLATFORM_FEE_BPS: "250" }, fixed: { PORT: "0" } },
    );
    expect([s.logLevel, s.platformFeeBps, s.http.port]).to.deep.equal(["warn", 250, 0]);
  });

  it("runtime facts are arguments: chain id, splitter, bound host and RPC URL, unless a variable overrides", () => {
    const runtime = {
      chainId: 31337,
      splitter: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      listening: "127.0.0.1:40123",
      rpcUrl: "http://127.0.0.1:40124",
      devOperator: "0x00000000000000000000000000000000000000A0",
      devTreasury: "0x00000000000000000000000000000000000000a9",
    } as const;
    const c = serviceConfig(loadSettings({ PLATFORM_FEE_BPS: "250" }), runtime);
    expect([c.chainId, c.splitterAddress, c.siwe.domain, c.webRpcUrl]).to.deep.equal([
      31337,
      "0x5fbdb2315678afecb367f032d93f642f64180aa3",
      "127.0.0.1:40123",
      "http://127.0.0.1:40124",
    ]);
    // Lowercased as the schema lowercases every address: roles are looked up by the stored form.
    expect([c.bootstrapOperator, c.treasuryAddress]).to.deep.equal([
      "0x00000000000000000000000000000000000000a0",
      runtime.devTreasury,
    ]);
    const overridden = serviceConfig(
      loadSettings({ SIWE_DOMAIN: "tributary.example", WEB_RPC_URL: "https://rpc.example.org" }),
      runtime,
    );
    expect([overridden.siwe.domain, overridden.webRpcUrl]).to.deep.equal([
      "tributary.example",
      "https://rpc.example.org",
    ]);
  });
});
