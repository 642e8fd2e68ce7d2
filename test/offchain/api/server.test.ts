import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { startApi } from "../../../offchain/api/server";
import { loadConfig } from "../../../offchain/config";

describe("offchain/api/server", function () {
  it("creates the PGlite data folder, migrates, serves on 127.0.0.1, and reopens the same folder", async () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tributary-server-")), "nested", "data");
    const config = loadConfig({
      DATA_DIR: dir,
      PORT: "0",
      LOG_LEVEL: "silent",
      BOOTSTRAP_OPERATOR: "0x" + "0a".repeat(20),
    });
    const api = await startApi(config);
    try {
      expect(api.db.appliedMigrations.length).to.be.greaterThan(0);
      const ready = await fetch(`${api.url}/ready`);
      expect(ready.status).to.equal(200);
    } finally {
      await api.close();
    }
    const again = await startApi(config);
    try {
      expect(again.db.appliedMigrations).to.deep.equal([]);
      expect(await again.db.prisma.roleAssignment.count({ where: { role: "operator" } })).to.equal(1);
    } finally {
      await again.close();
      fs.rmSync(path.dirname(path.dirname(dir)), { recursive: true, force: true });
    }
  });
});
