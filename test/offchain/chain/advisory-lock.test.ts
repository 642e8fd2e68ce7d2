import { expect } from "chai";
import { Client } from "pg";
import { createAdvisoryLock } from "../../../offchain/chain/advisory-lock";
import { openTestDatabase } from "../helpers/database";
import { PG_SERVER, postgresReachable } from "../helpers/chain";

describe("offchain/chain/advisory-lock", () => {
  it("takes and releases pg_try_advisory_lock on PGlite (one in-process session)", async () => {
    const db = await openTestDatabase("pglite");
    try {
      const lock = createAdvisoryLock({ db, key: 42n });
      const held = () =>
        db.prisma.$queryRawUnsafe<{ n: bigint }[]>(
          `SELECT count(*)::bigint AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid = 42`,
        );
      expect(await lock.tryAcquire()).to.equal(true);
      expect((await held())[0].n).to.equal(1n);
      await lock.release();
      expect((await held())[0].n).to.equal(0n);
    } finally {
      await db.close();
    }
  });

  it("on PostgreSQL lets one holder in at a time and frees the lock when the holder's connection ends", async function () {
    if (!(await postgresReachable())) this.skip();
    const db = await openTestDatabase("postgres");
    const url = `${PG_SERVER}/${db.name}`;
    const a = createAdvisoryLock({ db, databaseUrl: url, key: 7n });
    const b = createAdvisoryLock({ db, databaseUrl: url, key: 7n });
    try {
      expect(await a.tryAcquire()).to.equal(true);
      expect(await b.tryAcquire()).to.equal(false);
      await a.release();
      expect(await b.tryAcquire()).to.equal(true);
      expect(await a.tryAcquire()).to.equal(false);
      await b.close(); // as if the leader crashed: its session ends, PostgreSQL drops the lock
      const probe = new Client({ connectionString: url });
      await probe.connect();
      await probe.end();
      expect(await a.tryAcquire()).to.equal(true);
    } finally {
      await a.close();
      await b.close();
      await db.close();
    }
  });
});
