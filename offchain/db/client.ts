/**
 * Opens the database: PostgreSQL through DATABASE_URL (PrismaPg), else the embedded PGlite in a data folder
 * (PrismaPGlite). Pending committed migrations are applied before the client is handed out.
 */
import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaPg } from "@prisma/adapter-pg";
import { Pool } from "pg";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { PrismaClient } from "./generated/client";
import { applyMigrations } from "./migrations";
import { type BulkCopy, pgliteBulkCopy, postgresBulkCopy, registerBulkCopy, TrackedPGlite } from "./bulk-copy";
import {
  createWalCheckpointer,
  DEFAULT_WAL_CHECKPOINTS,
  pgliteStartParams,
  type WalCheckpointer,
  type WalCheckpointOptions,
} from "./wal-checkpointer";
import type { DatabaseConfig } from "../config";

export { PrismaClient };
export type Db = {
  prisma: PrismaClient;
  kind: "postgres" | "pglite";
  appliedMigrations: string[];
  /** PGlite only: the checkpoints that keep it from stalling (see wal-checkpointer.ts). */
  walCheckpointer?: WalCheckpointer;
  close(): Promise<void>;
};

/** Opens (and migrates) the configured database. `dataDir: ":memory:"` gives a throwaway PGlite. */
export async function openDatabase(
  cfg: DatabaseConfig,
  opts: { migrate?: boolean; walCheckpoints?: Partial<WalCheckpointOptions> } = {},
): Promise<Db> {
  const migrate = opts.migrate ?? true;
  let factory: SqlMigrationAwareDriverAdapterFactory;
  let pglite: PGlite | undefined;
  let pool: Pool | undefined;
  let bulkCopy: BulkCopy;
  let walCheckpointer: WalCheckpointer | undefined;
  let appliedMigrations: string[] = [];
  if (cfg.url) {
    // Our own pool, so the COPY path can find a transaction's client (bulk-copy.ts).
    pool = new Pool({ connectionString: cfg.url, max: 20 });
    // An idle client whose connection the server ends (a restart, a failover, pg_terminate_backend, DROP DATABASE
    // … WITH (FORCE)) is dropped by the pool, which then emits "error"; PrismaPg removes its own listener on
    // disconnect, and with none left Node throws it as an uncaught exception. The next query opens a new connection.
    pool.on("error", () => {});
    factory = new PrismaPg(pool);
    bulkCopy = postgresBulkCopy(pool);
    if (migrate) {
      // The schema engine's session advisory lock outlives its run on a pooled connection; migrating over a
      // one-connection pool of our own that is ended afterwards releases it, so replicas started together
      // each take their turn instead of the second timing out.
      const pool = new Pool({ connectionString: cfg.url, max: 1 });
      try {
        appliedMigrations = await applyMigrations(new PrismaPg(pool));
      } finally {
        await pool.end();
      }
    }
  } else {
    let dir: string | undefined;
    if (cfg.dataDir !== ":memory:") {
      dir = path.resolve(cfg.dataDir, "pglite");
      // PGlite does not create missing parent folders.
      fs.mkdirSync(dir, { recursive: true });
    }
    const walOpts = { ...DEFAULT_WAL_CHECKPOINTS, ...opts.walCheckpoints };
    const tracked = new TrackedPGlite({
      dataDir: dir,
      startParams: pgliteStartParams(PGlite.defaultStartParams, walOpts),
    });
    pglite = tracked;
    bulkCopy = pgliteBulkCopy(tracked);
    walCheckpointer = createWalCheckpointer(pglite, walOpts);
    factory = new PrismaPGlite(pglite);
  }
  if (pglite && migrate) appliedMigrations = await applyMigrations(factory);
  const prisma = new PrismaClient({ adapter: factory });
  registerBulkCopy(prisma, bulkCopy);
  return {
    prisma,
    kind: cfg.url ? "postgres" : "pglite",
    appliedMigrations,
    walCheckpointer,
    async close() {
      await walCheckpointer?.stop();
      await prisma.$disconnect();
      if (pglite) await pglite.close();
      // PrismaPg does not end a pool it was given.
      await pool?.end();
    },
  };
}
