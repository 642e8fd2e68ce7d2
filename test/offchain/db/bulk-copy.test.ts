/**
 * The COPY path inside a Prisma transaction (offchain/db/bulk-copy.ts), on the selected database: rows arrive exactly,
 * over several chunks; they commit and roll back with the transaction; two transactions copying at once on
 * PostgreSQL each write through their own connection.
 */
import { expect } from "chai";
import { BulkCopyError, bulkCopyOf, COPY_CHUNK_ROWS, copyLine } from "../../../offchain/db/bulk-copy";
import { openTestDatabase, type TestDb } from "../helpers/database";

describe("offchain/db/bulk-copy", () => {
  let db: TestDb;
  before(async () => {
    db = await openTestDatabase();
  });
  after(async () => db?.close());
  beforeEach(async () => {
    await db.prisma.$executeRawUnsafe("DROP TABLE IF EXISTS copy_probe");
    await db.prisma.$executeRawUnsafe("CREATE TABLE copy_probe (batch int, n int, account text, amount numeric(78,0))");
  });

  const rows = (batch: number, count: number) => ({
    *[Symbol.iterator]() {
      for (let n = 0; n < count; n++)
        yield [batch, n, `0x${n.toString(16).padStart(40, "0")}`, 10n ** 60n + BigInt(n)] as const;
    },
  });
  const COLUMNS = ["batch", "n", "account", "amount"];

  it("copyLine joins values by tabs and refuses any value COPY text would need to escape", () => {
    expect(copyLine([1, "0xab", 10n ** 70n])).to.equal(`1\t0xab\t${10n ** 70n}\n`);
    for (const bad of ["a\tb", "a\nb", "a\rb", "a\\b"])
      expect(() => copyLine([bad])).to.throw(BulkCopyError, /needs escaping/);
  });

  it("writes every row exactly, over more than one chunk, inside the transaction", async function () {
    this.timeout(120_000);
    const copy = bulkCopyOf(db.prisma);
    const count = 2 * COPY_CHUNK_ROWS + 7;
    const n = await db.prisma.$transaction((tx) => copy(tx, "copy_probe", COLUMNS, rows(1, count)), {
      timeout: 120_000,
    });
    expect(n).to.equal(count);
    const [agg] = await db.prisma.$queryRaw<{ c: number; s: string; first: string; last: string }[]>`
      SELECT count(*)::int AS c, sum(amount)::text AS s, min(account) AS first, max(account) AS last FROM copy_probe`;
    const sum = BigInt(count) * 10n ** 60n + (BigInt(count) * BigInt(count - 1)) / 2n;
    expect(agg).to.deep.equal({
      c: count,
      s: sum.toString(),
      first: `0x${"0".repeat(40)}`,
      last: `0x${(count - 1).toString(16).padStart(40, "0")}`,
    });
  });

  it("rolls back with the transaction: a failure after the copy leaves no row", async () => {
    const copy = bulkCopyOf(db.prisma);
    let copied = -1;
    const failed = await db.prisma
      .$transaction(async (tx) => {
        copied = await copy(tx, "copy_probe", COLUMNS, rows(1, 1000));
        // Visible inside the transaction…
        const [{ c }] = await tx.$queryRaw<{ c: number }[]>`SELECT count(*)::int AS c FROM copy_probe`;
        expect(c).to.equal(1000);
        throw new Error("after the copy");
      })
      .catch((err: Error) => err.message);
    expect([copied, failed]).to.deep.equal([1000, "after the copy"]);
    // …and gone after the rollback.
    const [{ c }] = await db.prisma.$queryRaw<{ c: number }[]>`SELECT count(*)::int AS c FROM copy_probe`;
    expect(c).to.equal(0);
  });

  it("two transactions copying at once each write their own rows", async function () {
    this.timeout(60_000);
    const copy = bulkCopyOf(db.prisma);
    const one = (batch: number) =>
      db.prisma.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_sleep(0.05)`; // both transactions open before either copies
        return copy(tx, "copy_probe", COLUMNS, rows(batch, 5000));
      });
    expect(await Promise.all([one(1), one(2)])).to.deep.equal([5000, 5000]);
    const got = await db.prisma.$queryRaw<{ batch: number; c: number }[]>`
      SELECT batch, count(*)::int AS c FROM copy_probe GROUP BY batch ORDER BY batch`;
    expect(got).to.deep.equal([
      { batch: 1, c: 5000 },
      { batch: 2, c: 5000 },
    ]);
  });

  it("refuses a table or column that is not a plain identifier", async () => {
    const copy = bulkCopyOf(db.prisma);
    const err = await db.prisma
      .$transaction((tx) => copy(tx, "copy_probe; DROP TABLE x", COLUMNS, rows(1, 1)))
      .catch((e: Error) => e.message);
    expect(err).to.match(/not a plain identifier/);
  });
});
