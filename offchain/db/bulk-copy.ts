/**
 * Bulk rows into a table inside a caller's Prisma interactive transaction, through each database's `COPY … FROM`:
 * no statement parameters, no row-by-row inserts, and the rows commit or roll back with the transaction.
 *
 * Why: at 1,000,000 allocations the close's `INSERT … SELECT FROM unnest($1::text[], …)` spent most of its time
 * building, binding and parsing five million-element array parameters (35 s on PGlite at load ~3.5; on the raw
 * PGlite handle, 200,000 rows took 6.1 CPU-s through unnest and 4.2 CPU-s through COPY, of which 3.9 with no index).
 *
 * How each database gets the rows into the *same* transaction (Prisma does not expose its connection):
 * - PGlite is one session behind a mutex: a top-level query during a transaction waits for the transaction to end
 *   (a deadlock here). The adapter runs Prisma's transaction through `PGlite.transaction`, so `TrackedPGlite` records
 *   the open transaction's handle; COPY runs on it (`COPY … FROM '/dev/blob'` with the `blob` option).
 * - PostgreSQL: the pool is ours, so each pooled client is known by its backend pid; the transaction asks
 *   `pg_backend_pid()` and COPY streams (pg-copy-streams) on that client, which the transaction has checked out and
 *   is not using while it awaits this call. (Needs a direct connection: behind a transaction-pooling proxy the pid
 *   would not name the client.)
 * Rows are sent in chunks, so memory holds one chunk of COPY text, not the whole table.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import type { Pool, PoolClient } from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { TributaryError } from "../common/errors";
import type { PrismaClient } from "./generated/client";

export type BulkCopyErrorCode = "DB_COPY_VALUE_UNSAFE" | "DB_COPY_IDENTIFIER_INVALID" | "DB_COPY_NO_TRANSACTION";

/** The bulk path refused its input or could not find the transaction to write into (a programming error). */
export class BulkCopyError extends TributaryError {
  override readonly name = "BulkCopyError";
  declare readonly code: BulkCopyErrorCode;
  constructor(code: BulkCopyErrorCode, message: string) {
    super(code, message);
  }
}

type Tx = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];

/**
 * Writes `rows` (one value per column, in order) into `table` inside `tx`; resolves to the number of rows.
 * Values are sent as COPY text, so they must not hold a tab, newline, carriage return or backslash (addresses,
 * decimal amounts and integers never do; anything else throws before it is sent).
 */
export type BulkCopy = (
  tx: Tx,
  table: string,
  columns: readonly string[],
  rows: Iterable<readonly (string | number | bigint)[]>,
) => Promise<number>;

/** Rows per COPY chunk (~110 bytes each for allocations: ~5.5 MB of text at a time). */
export const COPY_CHUNK_ROWS = 50_000;

const UNSAFE = /[\t\n\r\\]/;

/** One COPY text line. @throws Error when a value would need escaping. */
export function copyLine(row: readonly (string | number | bigint)[]): string {
  let line = "";
  for (let i = 0; i < row.length; i++) {
    const v = String(row[i]);
    if (UNSAFE.test(v))
      throw new BulkCopyError("DB_COPY_VALUE_UNSAFE", `COPY value ${JSON.stringify(v.slice(0, 40))} needs escaping`);
    line += i === 0 ? v : `\t${v}`;
  }
  return `${line}\n`;
}

/** The COPY text of `rows`, `chunkRows` lines per string. */
export function* copyChunks(
  rows: Iterable<readonly (string | number | bigint)[]>,
  chunkRows = COPY_CHUNK_ROWS,
): Generator<{ text: string; count: number }> {
  let text = "";
  let count = 0;
  for (const row of rows) {
    text += copyLine(row);
    if (++count === chunkRows) {
      yield { text, count };
      text = "";
      count = 0;
    }
  }
  if (count > 0) yield { text, count };
}

const IDENT = /^[a-z_][a-z0-9_]*$/;
function copySql(table: string, columns: readonly string[], source: string): string {
  for (const n of [table, ...columns])
    if (!IDENT.test(n)) throw new BulkCopyError("DB_COPY_IDENTIFIER_INVALID", `not a plain identifier: ${n}`);
  return `COPY ${table} (${columns.join(", ")}) FROM ${source}`;
}

/** PGlite that remembers its open transaction's handle (PGlite runs one transaction at a time). */
export class TrackedPGlite extends PGlite {
  #open: Transaction | undefined;

  override transaction<T>(callback: (tx: Transaction) => Promise<T>): Promise<T> {
    return super.transaction(async (tx) => {
      this.#open = tx;
      try {
        return await callback(tx);
      } finally {
        this.#open = undefined;
      }
    });
  }

  /** The open transaction; throws when none is (COPY outside a transaction would not be atomic with anything). */
  openTransaction(): Transaction {
    if (!this.#open) throw new BulkCopyError("DB_COPY_NO_TRANSACTION", "no open PGlite transaction to COPY into");
    return this.#open;
  }
}

export function pgliteBulkCopy(pglite: TrackedPGlite): BulkCopy {
  return async (_tx, table, columns, rows) => {
    const sql = copySql(table, columns, "'/dev/blob'");
    const open = pglite.openTransaction();
    let n = 0;
    for (const chunk of copyChunks(rows)) {
      await open.query(sql, [], { blob: new Blob([chunk.text]) });
      n += chunk.count;
    }
    return n;
  };
}

/** Tracks the pool's clients by backend pid (set once the client has connected). */
export function postgresBulkCopy(pool: Pool): BulkCopy {
  const byPid = new Map<number, PoolClient>();
  pool.on("connect", (client) => {
    const pid = (client as PoolClient & { processID?: number }).processID;
    if (pid !== undefined) byPid.set(pid, client);
  });
  pool.on("remove", (client) => {
    const pid = (client as PoolClient & { processID?: number }).processID;
    if (pid !== undefined && byPid.get(pid) === client) byPid.delete(pid);
  });
  return async (tx, table, columns, rows) => {
    const sql = copySql(table, columns, "STDIN");
    const [{ pid }] = await tx.$queryRaw<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
    const client = byPid.get(pid);
    if (!client)
      throw new BulkCopyError(
        "DB_COPY_NO_TRANSACTION",
        `the transaction's connection (backend ${pid}) is not one of this pool's clients`,
      );
    let n = 0;
    const text = (function* () {
      for (const chunk of copyChunks(rows)) {
        n += chunk.count;
        yield chunk.text;
      }
    })();
    await pipeline(Readable.from(text), client.query(copyFrom(sql)));
    return n;
  };
}

const registry = new WeakMap<PrismaClient, BulkCopy>();

/** Called by openDatabase for the client it hands out. */
export function registerBulkCopy(prisma: PrismaClient, copy: BulkCopy): void {
  registry.set(prisma, copy);
}

/**
 * The COPY path of a client opened by openDatabase (the only place a PrismaClient is made).
 * @throws BulkCopyError for any other client
 */
export function bulkCopyOf(prisma: PrismaClient): BulkCopy {
  const copy = registry.get(prisma);
  if (!copy) throw new BulkCopyError("DB_COPY_NO_TRANSACTION", "this client was not opened by openDatabase");
  return copy;
}
