import { expect } from "chai";
import { allocate, SettlementInputSchema } from "../../../offchain/settlement";
import { readDistributionFile, verifyProof } from "../../../offchain/merkle";
import {
  closeEpoch,
  EpochEndsInFutureError,
  EpochWindowEmptyError,
  settlementInput,
  type ClosedEpoch,
} from "../../../offchain/epochs";
import { rowCounts } from "../helpers/database";
import {
  confirmedDeposit,
  CONTRIBUTOR,
  FEE,
  OWNER,
  openEpochsFixture,
  TOKEN,
  TREASURY,
  type EpochsFixture,
} from "./fixtures";

describe("offchain/epochs/close", () => {
  let f: EpochsFixture;
  beforeEach(async () => {
    f = await openEpochsFixture();
  });
  afterEach(async () => f?.db.close());

  const closed = (r: Awaited<ReturnType<typeof closeEpoch>>): ClosedEpoch => {
    if (r.status !== "closed") throw new Error(`expected a closed epoch, got: ${r.reason}`);
    return r;
  };

  it("stores the engine's allocations, the distribution file and the totals in one computed epoch", async () => {
    await confirmedDeposit(f, FEE);
    const end = new Date(Math.floor(Date.now() / 1000) * 1000);
    const input = await f.db.prisma.$transaction((tx) => settlementInput(tx, f.deps, 1, new Date(0), end));
    const engine = allocate(SettlementInputSchema.parse(input.raw));
    const r = closed(await closeEpoch(f.deps, "operator-1", { endsAt: end.toISOString() }));
    expect(r.epoch).to.equal(1);

    // Money: the fee is split 2.5 % to the treasury, the rest 60/40, and conserved to the unit.
    const rows = await f.db.prisma.allocation.findMany({ where: { epochId: 1 }, orderBy: { account: "asc" } });
    const got = Object.fromEntries(rows.map((a) => [a.account, a.amount.toFixed()]));
    expect(got).to.deep.equal({ [OWNER]: "585000", [CONTRIBUTOR]: "390000", [TREASURY]: "25000" });
    expect(rows.reduce((s, a) => s + BigInt(a.amount.toFixed()), 0n)).to.equal(FEE);

    // The same as the engine on the same rows (read before the close, which marks the deposit settled).
    expect(engine.allocations.map((a) => [a.account, a.amount])).to.have.deep.members(
      rows.map((a) => [a.account, BigInt(a.amount.toFixed())]),
    );

    const epoch = await f.db.prisma.epoch.findUniqueOrThrow({ where: { id: 1 } });
    expect(epoch).to.include({ status: "computed", root: r.root, contentHash: r.contentHash, leafCount: 3 });
    expect(epoch.closedBy).to.equal("operator-1");
    const { distribution } = await readDistributionFile(
      (async function* () {
        yield Buffer.from(epoch.distribution);
      })(),
    );
    expect(distribution.root).to.equal(r.root);
    for (const a of rows) {
      const claim = distribution.claimFor(a.account as `0x${string}`, TOKEN as `0x${string}`)!;
      expect(claim.index).to.equal(a.leafIndex);
      expect(verifyProof(r.root, claim, claim.proof)).to.equal(true);
    }
    const deposits = await f.db.prisma.deposit.findMany();
    expect(deposits.map((d) => d.settledEpoch)).to.deep.equal([1]);
    const log = await f.db.prisma.auditLog.findMany();
    expect(log.map((l) => [l.actor, l.action, l.target])).to.deep.equal([["operator-1", "epoch.closed", "epoch:1"]]);
  });

  it("returns 'empty' and stores nothing while nothing is recognized (a partial one-time deposit)", async () => {
    await confirmedDeposit(f, FEE / 2n);
    const before = await rowCounts(f.db);
    const r = await closeEpoch(f.deps, "operator-1", {});
    expect(r).to.deep.equal({
      status: "empty",
      epoch: 1,
      reason: "nothing has been recognized yet: epoch 1 would have no leaves",
    });
    expect(await rowCounts(f.db)).to.deep.equal(before);
    expect((await f.db.prisma.deposit.findFirstOrThrow()).settledEpoch).to.equal(null);
  });

  it("refuses an end in the future with a permanent EpochEndsInFutureError, storing nothing", async () => {
    await confirmedDeposit(f, FEE);
    const before = await rowCounts(f.db);
    const later = new Date(Date.now() + 60_000);
    const err = await closeEpoch(f.deps, "op", { endsAt: later.toISOString() }).then(
      () => expect.fail("closed an epoch ending in the future"),
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(EpochEndsInFutureError);
    expect(err).to.include({ code: "EPOCH_ENDS_IN_FUTURE", kind: "permanent" });
    expect(await rowCounts(f.db)).to.deep.equal(before);
  });

  it("refuses an end at or before the last epoch's end with EpochWindowEmptyError naming the next epoch", async () => {
    await confirmedDeposit(f, FEE);
    const end = new Date(Math.floor(Date.now() / 1000) * 1000);
    closed(await closeEpoch(f.deps, "op", { endsAt: end.toISOString() }));
    const err = await closeEpoch(f.deps, "op", { endsAt: end.toISOString() }).then(
      () => expect.fail("closed an empty window"),
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(EpochWindowEmptyError);
    expect(err).to.include({ code: "EPOCH_WINDOW_EMPTY", epoch: 2, kind: "permanent" });
    expect((err as EpochWindowEmptyError).startsAt.getTime()).to.equal(end.getTime());
  });

  it("two concurrent closes at the same end store one epoch: the other finds its window empty", async () => {
    await confirmedDeposit(f, FEE);
    const endsAt = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
    const results = await Promise.allSettled([
      closeEpoch(f.deps, "a", { endsAt }),
      closeEpoch(f.deps, "b", { endsAt }),
    ]);
    const ok = results.filter((r) => r.status === "fulfilled");
    const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
    expect(ok).to.have.length(1);
    expect(refused).to.have.length(1);
    expect(refused[0]).to.be.instanceOf(EpochWindowEmptyError);
    expect(await f.db.prisma.epoch.count()).to.equal(1);
    expect(await f.db.prisma.allocation.count()).to.equal(3); // not six: the deposit counted once
  });
});
