import { expect } from "chai";
import { closeDueEpoch, createCloseStep, SCHEDULER_ACTOR } from "../../../offchain/epochs";
import type { Logger } from "../../../offchain/common/logger";
import { confirmedDeposit, FEE, openEpochsFixture, recordingLogger, type EpochsFixture } from "./fixtures";

describe("offchain/epochs/close-due", () => {
  let f: EpochsFixture;
  beforeEach(async () => {
    f = await openEpochsFixture();
  });
  afterEach(async () => f?.db.close());

  it("skips while nothing new is there to settle", async () => {
    expect(await closeDueEpoch(f.deps)).to.deep.equal({ skipped: "nothing new to settle" });
    expect(await f.db.prisma.epoch.count()).to.equal(0);
  });

  it("closes an epoch for a new deposit as the scheduler, then waits while that epoch is being published", async () => {
    await confirmedDeposit(f, FEE);
    const r = await closeDueEpoch(f.deps);
    if (!("closed" in r)) throw new Error(`skipped: ${r.skipped}`);
    expect(r.closed).to.include({ status: "closed", epoch: 1, leafCount: 3 });
    expect((await f.db.prisma.epoch.findUniqueOrThrow({ where: { id: 1 } })).closedBy).to.equal(SCHEDULER_ACTOR);
    await confirmedDeposit(f, FEE); // new money, but epoch 1 has no root on-chain yet
    expect(await closeDueEpoch(f.deps)).to.deep.equal({ skipped: "epoch 1 is still being published" });
    const one = await f.db.prisma.epoch.update({ where: { id: 1 }, data: { status: "claimable" } });
    // Epochs end on whole seconds: in the second epoch 1 ended in, the step skips rather than close an empty window.
    expect(await closeDueEpoch(f.deps, new Date(one.endsAt.getTime() + 999))).to.deep.equal({
      skipped: "the last epoch ended less than a second ago",
    });
    // A timer may fire a millisecond early (libuv rounds), so wait until the clock has really reached the next second.
    const nextSecond = one.endsAt.getTime() + 1000;
    while (Date.now() < nextSecond) await new Promise((r) => setTimeout(r, nextSecond - Date.now() + 1));
    const next = await closeDueEpoch(f.deps);
    expect("closed" in next && next.closed.epoch, "skipped" in next ? next.skipped : "closed").to.equal(2);
  });

  it("reports a partial deposit (nothing recognized yet) as a skip, not an error", async () => {
    await confirmedDeposit(f, FEE / 2n);
    expect(await closeDueEpoch(f.deps)).to.deep.equal({
      skipped: "nothing has been recognized yet: epoch 1 would have no leaves",
    });
  });

  it("the scheduler's step logs a skip at info once per reason, at debug while it repeats, and never as an error", async () => {
    const { lines, logger } = recordingLogger();
    const step = createCloseStep({ prisma: f.db.prisma, common: { ...f.common, logger: logger as unknown as Logger } });
    await confirmedDeposit(f, FEE / 2n);
    for (let i = 0; i < 3; i++) await step.run();
    await f.db.prisma.deposit.updateMany({ data: { state: "reorged" } });
    await step.run();
    expect(lines.map((l) => [l.level, (l.obj as { reason?: string }).reason])).to.deep.equal([
      ["info", "nothing has been recognized yet: epoch 1 would have no leaves"],
      ["debug", "nothing has been recognized yet: epoch 1 would have no leaves"],
      ["debug", "nothing has been recognized yet: epoch 1 would have no leaves"],
      ["info", "nothing new to settle"],
    ]);
  });
});
