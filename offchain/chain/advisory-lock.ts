/**
 * A PostgreSQL session advisory lock, so that of several service instances sharing one database only one runs
 * the scheduled close → publish pass. `pg_try_advisory_lock` never waits: the loser skips this interval.
 *
 * On a server the lock lives on a dedicated connection (Prisma's pool may hand the unlock to another session,
 * which cannot release it); if that connection dies, PostgreSQL releases the lock, so a crashed leader never
 * blocks the others. PGlite is a single in-process session, so Prisma's own connection serves.
 */
import { Client } from "pg";
import type { Db } from "../db/client";
import { ChainError } from "./errors";

/** Default key: the bytes of "tributar" (advisory locks take a bigint). */
export const PUBLISHER_LOCK_KEY = 0x7472696275746172n;

export type AdvisoryLock = { tryAcquire(): Promise<boolean>; release(): Promise<void>; close(): Promise<void> };

export function createAdvisoryLock(p: { db: Db; databaseUrl?: string; key?: bigint }): AdvisoryLock {
  const key = (p.key ?? PUBLISHER_LOCK_KEY).toString();
  if (p.db.kind === "pglite") {
    const prisma = p.db.prisma;
    return {
      async tryAcquire() {
        const [row] = await prisma.$queryRawUnsafe<{ locked: boolean }[]>(
          `SELECT pg_try_advisory_lock(${key}::bigint) AS locked`,
        );
        return row.locked;
      },
      async release() {
        await prisma.$queryRawUnsafe(`SELECT pg_advisory_unlock(${key}::bigint)`);
      },
      async close() {},
    };
  }
  if (!p.databaseUrl)
    throw new ChainError("CHAIN_CONFIG_INVALID", "an advisory lock on PostgreSQL needs the database URL");
  let client: Promise<Client> | undefined;
  // One connection per lock, created once even when passes race: a second session would hold a lock nobody releases.
  const connection = (): Promise<Client> => {
    client ??= (async () => {
      const c = new Client({ connectionString: p.databaseUrl });
      c.on("error", () => {
        client = undefined; // the server dropped the session, and with it the lock
      });
      await c.connect();
      return c;
    })().catch((err: unknown) => {
      client = undefined;
      throw err;
    });
    return client;
  };
  return {
    async tryAcquire() {
      const { rows } = await (await connection()).query<{ locked: boolean }>(
        "SELECT pg_try_advisory_lock($1::bigint) AS locked",
        [key],
      );
      return rows[0].locked;
    },
    async release() {
      if (client) await (await client).query("SELECT pg_advisory_unlock($1::bigint)", [key]);
    },
    async close() {
      const c = client;
      client = undefined;
      await (await c?.catch(() => undefined))?.end();
    },
  };
}
