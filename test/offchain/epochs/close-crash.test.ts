/**
 * Crash safety of the close's write (allocations by COPY inside the close's transaction): a kill -9 after every row is
 * written but before the commit leaves no epoch, no allocation and no settled deposit, and the next close stores the
 * whole epoch. On PGlite (a data folder: one process at a time, so the test closes it while the child runs) and on
 * PostgreSQL.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { openDatabase } from "../../../offchain/db/client";
import { closeEpoch } from "../../../offchain/epochs";
import { openTestDatabase, type TestDb } from "../helpers/database";
import { confirmedDeposit, epochsCommon, FEE, openEpochsFixture } from "./fixtures";

function runChild(env: Record<string, string>): Promise<{ signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", path.join(__dirname, "close-child.ts")],
      { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("exit", (_code, signal) => resolve({ signal, out }));
  });
}

describe("offchain/epochs/close: kill -9 during the write", () => {
  for (const kind of ["pglite", "postgres"] as const)
    it(`on ${kind}: a close killed after copying its allocations, before the commit, leaves nothing; the next close stores the whole epoch`, async function () {
      if (kind === "postgres" && process.env.TEST_SKIP_POSTGRES === "1") this.skip();
      this.timeout(120_000);
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "close-crash-"));
      const store = path.join(tmp, "distributions");
      const common = epochsCommon({ DISTRIBUTION_STORE_DIR: store });
      const open = async (): Promise<TestDb> =>
        kind === "pglite"
          ? { ...(await openDatabase({ dataDir: path.join(tmp, "data") })), name: "" }
          : openTestDatabase("postgres");
      let db = await open();
      try {
        const f = await openEpochsFixture(db, common);
        await confirmedDeposit(f, FEE);
        const end = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
        const env: Record<string, string> = { CHILD_STORE_DIR: store, CHILD_END: end };
        if (kind === "pglite") {
          await db.close(); // the child opens the folder
          env.CHILD_DATA_DIR = path.join(tmp, "data");
        } else env.CHILD_DATABASE_URL = `${process.env.TEST_PG_URL ?? "postgres://root@127.0.0.1:5432"}/${db.name}`;

        const child = await runChild(env);
        expect(child.signal).to.equal("SIGKILL");
        expect(child.out.trim().split("\n")).to.deep.equal(["written"]);

        if (kind === "pglite") db = await open();
        const { prisma } = db;
        expect(await prisma.epoch.count()).to.equal(0);
        expect(await prisma.allocation.count()).to.equal(0);
        expect((await prisma.deposit.findMany()).map((d) => d.settledEpoch)).to.deep.equal([null]);
        expect(await prisma.auditLog.count()).to.equal(0);

        const r = await closeEpoch({ prisma, common }, "operator-1", { endsAt: end });
        expect(r.status).to.equal("closed");
        expect(await prisma.epoch.count()).to.equal(1);
        const rows = await prisma.allocation.findMany({ where: { epochId: 1 } });
        expect(rows).to.have.length(3);
        expect(rows.reduce((s, a) => s + BigInt(a.amount.toFixed()), 0n)).to.equal(FEE);
        expect((await prisma.deposit.findMany()).map((d) => d.settledEpoch)).to.deep.equal([1]);
      } finally {
        await db.close().catch(() => {});
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });
});
