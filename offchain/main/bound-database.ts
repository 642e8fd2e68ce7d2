/**
 * Opens the database bound to the chain it describes (offchain/chain/chain-binding). A development chain is new
 * on every start, so the embedded database of a previous run describes blocks and contracts that no longer exist:
 * it is moved aside (`pglite.previous`) and a fresh one is opened, never mixed with the new chain. Any other
 * mismatch (a real chain, a PostgreSQL server) is refused: that is an operator's decision, not ours.
 */
import fs from "node:fs";
import path from "node:path";
import { bindChain, checkChainBinding, type ChainClients, type ChainIdentity } from "../chain";
import { ChainError } from "../chain/errors";
import { openDatabase, type Db } from "../db/client";
import type { DatabaseConfig } from "../config";

export type BoundDatabase = {
  db: Db /** Why the previous embedded database was set aside, if it was. */;
  reset?: string;
};

export async function openBoundDatabase(p: {
  database: DatabaseConfig;
  clients: ChainClients;
  identity: ChainIdentity;
  /** True on the in-process development chain: a mismatch resets the embedded database instead of failing. */
  devChain: boolean;
}): Promise<BoundDatabase> {
  let db = await openDatabase(p.database);
  const check = await checkChainBinding(db, p.clients, p.identity);
  let reset: string | undefined;
  if (check.status === "different") {
    await db.close();
    if (!(p.devChain && db.kind === "pglite" && p.database.dataDir !== ":memory:")) {
      throw new ChainError(
        "CHAIN_DATABASE_BOUND_ELSEWHERE",
        `the database belongs to another chain (${check.reason}); refusing to mix their records`,
        { kind: "permanent" },
      );
    }
    const dir = path.resolve(p.database.dataDir, "pglite");
    const previous = path.resolve(p.database.dataDir, "pglite.previous");
    fs.rmSync(previous, { recursive: true, force: true });
    fs.renameSync(dir, previous);
    reset = `${check.reason}; the previous database was moved to ${previous}`;
    db = await openDatabase(p.database);
  }
  await bindChain(db, p.identity);
  return { db, reset };
}
