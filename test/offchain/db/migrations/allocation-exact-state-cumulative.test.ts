/**
 * The migration allocation_exact_state_cumulative moves each epoch's carried cumulative list out of `epochs.state`
 * into its allocations' `exact`: a database closed by the code before it (the list in the state, no `exact` column)
 * must close its next epoch exactly as one that never had the old layout.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { openDatabase } from "../../../../offchain/db/client";
import { closeEpoch } from "../../../../offchain/epochs";
import { openTestDatabase, type TestDb } from "../../helpers/database";
import { confirmedDeposit, epochsCommon, FEE, openEpochsFixture } from "../../epochs/fixtures";

const MIGRATION = "20261203124735_allocation_exact_state_cumulative";

/** What epoch 1 wrote, as the code before the migration wrote it: the list in the state, no `exact` column. */
async function toOldLayout(db: TestDb): Promise<void> {
  await db.prisma.$executeRawUnsafe(`UPDATE epochs e SET state = state || jsonb_build_object('cumulative',
      (SELECT jsonb_agg(jsonb_build_object('account', account, 'token', token, 'amount', cumulative::text,
        'exact', exact::text) ORDER BY account COLLATE "C", token COLLATE "C") FROM allocations WHERE epoch_id = e.id))`);
  await db.prisma.$executeRawUnsafe(`ALTER TABLE allocations DROP COLUMN exact`);
  await db.prisma.$executeRawUnsafe(`DELETE FROM _prisma_migrations WHERE migration_name = '${MIGRATION}'`);
}

describe("offchain/db/migrations/allocation_exact_state_cumulative", () => {
  for (const kind of ["pglite", "postgres"] as const)
    it(`on ${kind}: epoch 2 closed after migrating an epoch 1 in the old layout equals epoch 2 without the old layout`, async function () {
      if (kind === "postgres" && process.env.TEST_SKIP_POSTGRES === "1") this.skip();
      this.timeout(120_000);
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "migrate-exact-"));
      const common = epochsCommon({ DISTRIBUTION_STORE_DIR: path.join(tmp, "distributions") });
      const now = Math.floor(Date.now() / 1000) * 1000;
      const end1 = new Date(now - 2000).toISOString();
      const end2 = new Date(now - 1000).toISOString();

      const run = async (oldLayout: boolean) => {
        const dataDir = path.join(tmp, oldLayout ? "old" : "new");
        let db: TestDb =
          kind === "pglite" ? { ...(await openDatabase({ dataDir })), name: "" } : await openTestDatabase("postgres");
        try {
          const f = await openEpochsFixture(db, common);
          await confirmedDeposit(f, FEE);
          expect((await closeEpoch({ prisma: db.prisma, common }, "op", { endsAt: end1 })).status).to.equal("closed");
          await confirmedDeposit(f, 7n);
          let migrated: string[] = [];
          if (oldLayout) {
            // Reopened as a restarted service would: openDatabase applies the pending migration.
            await toOldLayout(db);
            if (kind === "pglite") {
              await db.close(); // one process per data folder
              db = { ...(await openDatabase({ dataDir })), name: "" };
              migrated = db.appliedMigrations;
            } else {
              const url = `${process.env.TEST_PG_URL ?? "postgres://root@127.0.0.1:5432"}/${db.name}`;
              const test = db; // closing it drops the database
              const reopened = await openDatabase({ url, dataDir: "" });
              migrated = reopened.appliedMigrations;
              db = {
                ...reopened,
                name: test.name,
                close: async () => {
                  await reopened.close();
                  await test.close();
                },
              };
            }
          }
          const state1 = (await db.prisma.epoch.findUniqueOrThrow({ where: { id: 1 } })).state as object;
          const r = await closeEpoch({ prisma: db.prisma, common }, "op", { endsAt: end2 });
          if (r.status !== "closed") throw new Error(`epoch 2: ${r.reason}`);
          const rows = await db.prisma.allocation.findMany({ orderBy: [{ epochId: "asc" }, { leafIndex: "asc" }] });
          const state2 = (await db.prisma.epoch.findUniqueOrThrow({ where: { id: 2 } })).state;
          return {
            migrated,
            hasCumulative: "cumulative" in state1,
            root: r.root,
            rows: rows.map((a) => [
              a.epochId,
              a.account,
              a.token,
              a.amount.toFixed(),
              a.cumulative.toFixed(),
              a.exact?.toFixed(),
            ]),
            // The license id is random per fixture; everything else must match.
            state2: JSON.parse(JSON.stringify(state2).replaceAll(f.licenseId, "LICENSE")),
          };
        } finally {
          await db.close().catch(() => {});
        }
      };
      try {
        const fresh = await run(false);
        const old = await run(true);
        expect(old.migrated).to.deep.equal([MIGRATION]);
        expect([fresh.hasCumulative, old.hasCumulative]).to.deep.equal([false, false]);
        // Epoch 1's exact values came back from the old state: every epoch-1 row has one.
        expect(old.rows.filter((r) => r[0] === 1).map((r) => typeof r[5])).to.deep.equal([
          "string",
          "string",
          "string",
        ]);
        expect({ root: old.root, rows: old.rows, state2: old.state2 }).to.deep.equal({
          root: fresh.root,
          rows: fresh.rows,
          state2: fresh.state2,
        });
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });
});
