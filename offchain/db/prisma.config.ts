/**
 * Prisma CLI configuration (used by `prisma generate` only; migrations run through offchain/db/migrate.ts).
 * The CLI wants a native schema-engine binary from Prisma's CDN even to generate the client; pointing
 * PRISMA_SCHEMA_ENGINE_BINARY at a stub lets `prisma generate` run offline.
 */
import path from "node:path";
import { defineConfig } from "prisma/config";

process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.join(__dirname, "tools", "schema-engine-stub");

export default defineConfig({
  schema: path.join(__dirname, "schema.prisma"),
  migrations: { path: path.join(__dirname, "migrations") },
});
