import fs from "node:fs";
import { expect } from "chai";
import { MIGRATIONS_DIR } from "../../../offchain/db/migrations";
import { openTestDatabase, TEST_DATABASE, type TestDb } from "../helpers/database";

describe(`offchain/db/client (${TEST_DATABASE})`, function () {
  let db: TestDb;
  before(async () => {
    db = await openTestDatabase();
  });
  after(async () => {
    await db?.close();
  });

  it("applies the committed migrations on open, recorded under their folder names (not checkout paths)", async () => {
    const rows = await db.prisma.$queryRaw<
      { migration_name: string }[]
    >`SELECT migration_name FROM _prisma_migrations ORDER BY migration_name`;
    const folders = fs
      .readdirSync(MIGRATIONS_DIR)
      .filter((n) => fs.existsSync(`${MIGRATIONS_DIR}/${n}/migration.sql`))
      .sort();
    expect(folders.length).to.be.greaterThan(0);
    expect(rows.map((r) => r.migration_name)).to.deep.equal(folders);
    expect(db.appliedMigrations).to.deep.equal(folders);
  });

  it("stores a uint256 amount exactly (NUMERIC(78,0) round trip)", async () => {
    const max = (1n << 256n) - 1n;
    const creator = await db.prisma.creator.create({ data: { address: "0x" + "11".repeat(20), name: "c" } });
    const offer = await db.prisma.offer.create({
      data: {
        creatorId: creator.id,
        model: "one_time",
        token: "0x" + "22".repeat(20),
        scope: "training",
        price: max.toString(),
        durationSeconds: 1,
      },
    });
    const back = await db.prisma.offer.findUniqueOrThrow({ where: { id: offer.id } });
    expect(BigInt(back.price!.toFixed())).to.equal(max);
  });

  it("rejects updates and deletes of the audit log", async () => {
    const row = await db.prisma.auditLog.create({
      data: { actor: "0x" + "33".repeat(20), action: "test", target: "x" },
    });
    const outcome = (p: Promise<unknown>) =>
      p.then(
        () => "accepted",
        (e: Error) => e.message,
      );
    expect(await outcome(db.prisma.auditLog.update({ where: { id: row.id }, data: { action: "changed" } }))).to.match(
      /append-only/,
    );
    expect(await outcome(db.prisma.auditLog.delete({ where: { id: row.id } }))).to.match(/append-only/);
    expect((await db.prisma.auditLog.findUniqueOrThrow({ where: { id: row.id } })).action).to.equal("test");
  });
});
