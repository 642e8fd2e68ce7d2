/**
 * Test databases: PGlite in memory by default; with TEST_DATABASE=postgres a fresh database on the PostgreSQL
 * server (TEST_PG_URL, default postgres://root@127.0.0.1:5432) is created for the caller and dropped on close.
 */
import crypto from "node:crypto";
import { Client } from "pg";
import { openDatabase, type Db } from "../../../offchain/db/client";

export const TEST_DATABASE = process.env.TEST_DATABASE === "postgres" ? "postgres" : "pglite";
const SERVER = process.env.TEST_PG_URL ?? "postgres://root@127.0.0.1:5432";

async function admin(sql: string): Promise<void> {
  const c = new Client({ connectionString: `${SERVER}/postgres` });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

export type TestDb = Db & { name: string };

/** Opens a migrated, empty database of the selected kind. */
export async function openTestDatabase(kind: "pglite" | "postgres" = TEST_DATABASE): Promise<TestDb> {
  if (kind === "pglite") {
    const db = await openDatabase({ dataDir: ":memory:" });
    return { ...db, name: ":memory:" };
  }
  const name = `tributary_test_${crypto.randomBytes(6).toString("hex")}`;
  await admin(`CREATE DATABASE "${name}"`);
  let db: Db;
  try {
    db = await openDatabase({ url: `${SERVER}/${name}`, dataDir: "" });
  } catch (err) {
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    throw err;
  }
  return {
    ...db,
    name,
    async close() {
      await db.close();
      await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

/** Empties every application table (keeps the migration history), so one database serves a whole file. */
export async function truncateAll(db: Db): Promise<void> {
  const rows = await db.prisma.$queryRaw<{ tablename: string }[]>`
    SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`;
  if (rows.length === 0) return;
  const list = rows.map((r) => `"${r.tablename}"`).join(", ");
  await db.prisma.$executeRawUnsafe(`TRUNCATE ${list} RESTART IDENTITY CASCADE`);
}

/** Row count of every application table: compared before and after a rejected request. */
export async function rowCounts(db: Db): Promise<Record<string, number>> {
  const rows = await db.prisma.$queryRaw<{ tablename: string }[]>`
    SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY tablename`;
  const out: Record<string, number> = {};
  for (const { tablename } of rows) {
    const [{ n }] = await db.prisma.$queryRawUnsafe<{ n: bigint }[]>(
      `SELECT count(*)::bigint AS n FROM "${tablename}"`,
    );
    out[tablename] = Number(n);
  }
  return out;
}
