import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { startTributary, DEV_ROLES, type Tributary } from "../../../offchain/main/start";

describe("offchain/main/start against a configured chain (RPC_URL + SPLITTER_ADDRESS + key)", function () {
  this.timeout(120_000);
  let dev: Tributary;
  const dirs: string[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-main-"));
    dirs.push(d);
    return d;
  };

  before(async () => {
    // A development stack stands in for "a real chain": its RPC and splitter are given to the second instance.
    dev = await startTributary({
      env: { DATA_DIR: tmp(), PORT: "0", DEV_CHAIN_PORT: "0", LOG_LEVEL: "silent" },
      background: false,
    });
  });
  after(async () => {
    await dev?.stop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  const realEnv = (dataDir: string, splitter: string) => ({
    RPC_URL: dev.rpcUrl,
    SPLITTER_ADDRESS: splitter,
    PUBLISHER_PRIVATE_KEY: dev.devAccounts![DEV_ROLES.poster].privateKey,
    TREASURY_ADDRESS: dev.devAccounts![DEV_ROLES.treasury].address,
    DATA_DIR: dataDir,
    PORT: "0",
    LOG_LEVEL: "silent",
  });

  it("deploys nothing, signs with the configured key, binds its database to that chain and serves the API", async () => {
    const dataDir = tmp();
    const t = await startTributary({ env: realEnv(dataDir, dev.splitter), background: false });
    try {
      expect(t.devAccounts).to.equal(undefined);
      expect(t.splitter.toLowerCase()).to.equal(dev.splitter.toLowerCase());
      expect(t.clients.walletClient!.account.address).to.equal(dev.devAccounts![DEV_ROLES.poster].address);
      expect((await fetch(`${t.apiUrl}/health`)).status).to.equal(200);
      const binding = await t.db.prisma.chainBinding.findUniqueOrThrow({ where: { id: 1 } });
      expect(binding.splitterAddress).to.equal(dev.splitter.toLowerCase());
      expect(fs.existsSync(path.join(dataDir, "devchain.json"))).to.equal(false);
    } finally {
      await t.stop();
    }
  });

  it("refuses (and does not reset) a database bound to another splitter", async () => {
    const dataDir = tmp();
    const first = await startTributary({ env: realEnv(dataDir, dev.splitter), background: false });
    await first.stop();
    const other = dev.stablecoin!; // has code, but is not the splitter the database was bound to
    let error: unknown;
    await startTributary({ env: realEnv(dataDir, other), background: false }).then(
      (t) => t.stop(),
      (e: unknown) => (error = e),
    );
    expect(String(error)).to.match(/belongs to another chain .*splitter/);
    expect(fs.existsSync(path.join(dataDir, "pglite.previous"))).to.equal(false);
  });
});
