/**
 * Migration tool (run with ts-node):
 *   create <name>  write the next migration from the schema diff against the replayed history
 *   check          exit 1 if the schema and the committed migrations differ (CI)
 *   apply          apply pending migrations to DATABASE_URL, or to the PGlite folder DATA_DIR (default .data/pglite)
 */
import { createMigration, diffSchemaAgainstMigrations } from "./migrations";
import { openDatabase } from "./client";
import { loadConfig } from "../config";

async function main(argv: string[]): Promise<number> {
  const [command, name] = argv;
  if (command === "create") {
    const folder = await createMigration(name ?? "migration");
    console.log(folder ? `wrote ${folder}` : "schema and migrations already match: nothing to write");
    return 0;
  }
  if (command === "check") {
    const sql = await diffSchemaAgainstMigrations();
    if (sql.trim() === "" || /^-- This is an empty migration\.?\s*$/.test(sql.trim())) {
      console.log("migrations match offchain/db/schema.prisma");
      return 0;
    }
    console.error(
      "offchain/db/schema.prisma differs from the committed migrations; run npm run db:migrate:create -- <name>\n" +
        sql,
    );
    return 1;
  }
  if (command === "apply") {
    const db = await openDatabase(loadConfig().database);
    console.log(db.appliedMigrations.length ? `applied ${db.appliedMigrations.join(", ")}` : "database is up to date");
    await db.close();
    return 0;
  }
  console.error("usage: migrate.ts create <name> | check | apply");
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
