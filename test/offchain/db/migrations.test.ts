import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { diffSchemaAgainstMigrations, MIGRATIONS_DIR, SCHEMA_PATH } from "../../../offchain/db/migrations";

describe("offchain/db/migrations", function () {
  it("the committed migrations produce exactly offchain/db/schema.prisma (db:check passes)", async () => {
    expect((await diffSchemaAgainstMigrations()).trim()).to.equal("");
  });

  it("a schema change without a migration is detected as a non-empty diff (db:check would fail)", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-schema-"));
    const changed = fs
      .readFileSync(SCHEMA_PATH, "utf8")
      .replace("model Creator {\n", "model Creator {\n  nickname  String?\n");
    fs.writeFileSync(path.join(tmp, "schema.prisma"), changed);
    const sql = await diffSchemaAgainstMigrations(MIGRATIONS_DIR, path.join(tmp, "schema.prisma"));
    expect(sql).to.match(/ALTER TABLE "creators" ADD COLUMN\s+"nickname" TEXT/);
  });
});
