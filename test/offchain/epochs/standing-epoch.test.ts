/**
 * lastStandingEpoch: the latest epoch that was not vetoed (optionally before a given epoch), the one every next close
 * chains from.
 */
import { expect } from "chai";
import { lastStandingEpoch } from "../../../offchain/epochs/standing-epoch";
import { openTestDatabase, type TestDb } from "../helpers/database";
import { createEpochRow, epochRowEnd } from "../helpers/epoch-row";

describe("offchain/epochs/standing-epoch", () => {
  let db: TestDb;
  before(async () => {
    db = await openTestDatabase();
  });
  after(async () => db?.close());

  it("is null before any epoch stood, and skips vetoed epochs, before a given epoch or not", async () => {
    expect(await lastStandingEpoch(db.prisma)).to.equal(null);
    await createEpochRow(db, 1, "vetoed");
    expect(await lastStandingEpoch(db.prisma)).to.equal(null);
    await createEpochRow(db, 2, "claimable");
    await createEpochRow(db, 3, "vetoed");
    expect(await lastStandingEpoch(db.prisma)).to.deep.equal({ id: 2, endsAt: epochRowEnd(2) });
    await createEpochRow(db, 4, "computed");
    expect(await lastStandingEpoch(db.prisma)).to.deep.equal({ id: 4, endsAt: epochRowEnd(4) });
    expect(await lastStandingEpoch(db.prisma, 4)).to.deep.equal({ id: 2, endsAt: epochRowEnd(2) });
    expect(await lastStandingEpoch(db.prisma, 2)).to.equal(null);
    // Inside a transaction, as the close and ingestion ask it.
    expect(await db.prisma.$transaction((tx) => lastStandingEpoch(tx, 3))).to.deep.equal({
      id: 2,
      endsAt: epochRowEnd(2),
    });
  });
});
