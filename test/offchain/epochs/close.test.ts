import { expect } from "chai";
import { allocate, SettlementInputSchema } from "../../../offchain/settlement";
import { readDistributionFile, verifyProof } from "../../../offchain/merkle";
import { distributionStoreOf } from "../../../offchain/files";
import {
  carriedState,
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
  DATASET,
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
    // The file is in the content-addressed store under the epoch's hash, not in the row.
    expect(epoch.distribution).to.equal(null);
    const stored = await distributionStoreOf(f.deps.common).open(r.contentHash);
    expect(BigInt(stored.file.size)).to.equal(epoch.distributionSize);
    const { distribution, contentHash } = await readDistributionFile(stored.stream);
    expect(contentHash).to.equal(r.contentHash);
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

  it("splits per-use revenue exactly at a share change inside the window: usage before it by the old shares", async () => {
    const { prisma } = f.db;
    const now = Math.floor(Date.now() / 1000) * 1000;
    const at = (s: number) => new Date(now - s * 1000);
    // A per-use license over the fixture's dataset (shares OWNER 60 % / CONTRIBUTOR 40 %), rate 7, escrow 5,000.
    const base = await prisma.license.findUniqueOrThrow({ where: { id: f.licenseId } });
    const perUse = `0x${"77".repeat(32)}`;
    await prisma.license.create({
      data: {
        id: perUse,
        offerId: base.offerId,
        buyerId: base.buyerId,
        model: "per_use",
        token: TOKEN,
        scope: "training",
        ratePerUnit: "7",
        exclusive: false,
        startsAt: f.licenseStart,
        endsAt: new Date(f.licenseStart.getTime() + 86_400_000),
        datasets: { create: [{ datasetId: DATASET, weightBps: 10_000 }] },
      },
    });
    await prisma.deposit.create({
      data: {
        licenseId: perUse,
        token: TOKEN,
        amount: "5000",
        payer: "0x" + "b0".repeat(20),
        txHash: "0x" + "99".repeat(32),
        logIndex: 0,
        blockNumber: 11n,
        blockHash: "0x" + "cd".repeat(32),
        state: "confirmed",
      },
    });
    // From 100 s ago the shares are OWNER 20 % / CONTRIBUTOR 80 %.
    await prisma.shareChange.create({
      data: {
        datasetId: DATASET,
        shares: [
          { account: OWNER, bps: 2000 },
          { account: CONTRIBUTOR, bps: 8000 },
        ],
        requestedAt: at(100),
        effectiveAt: at(100),
        affected: [],
        createdBy: OWNER,
      },
    });
    const usage = (key: string, units: string, occurredAt: Date) =>
      prisma.usageEvent.create({
        data: {
          buyerId: base.buyerId,
          licenseId: perUse,
          datasetId: DATASET,
          itemRef: key,
          units,
          occurredAt,
          idempotencyKey: key,
        },
      });
    await usage("before-1", "300", at(200));
    await usage("before-2", "100", at(150)); // 400 units before the change
    await usage("after-1", "200", at(50)); // 200 units after it

    const input = await prisma.$transaction((tx) => settlementInput(tx, f.deps, 1, new Date(0), new Date(now)));
    expect(input.raw.datasets).to.deep.equal([
      {
        id: DATASET,
        contributors: [
          { account: OWNER, bps: 6000 },
          { account: CONTRIBUTOR, bps: 4000 },
        ].sort((a, b) => a.account.localeCompare(b.account)),
        changes: [
          {
            at: now / 1000 - 100,
            contributors: [
              { account: OWNER, bps: 2000 },
              { account: CONTRIBUTOR, bps: 8000 },
            ],
          },
        ],
      },
    ]);
    expect(input.raw.usage).to.have.deep.members([
      { licenseId: perUse, datasetId: DATASET, epoch: 1, units: "400" },
      { licenseId: perUse, datasetId: DATASET, epoch: 1, units: "200", at: now / 1000 - 100 },
    ]);

    const r = closed(await closeEpoch(f.deps, "operator-1", { endsAt: new Date(now).toISOString() }));
    // Before the change: 400 × 7 = 2,800; fee 2.5 % = 70; 2,730 → OWNER 60 % = 1,638, CONTRIBUTOR 40 % = 1,092.
    // After it:          200 × 7 = 1,400; fee 2.5 % = 35; 1,365 → OWNER 20 % =   273, CONTRIBUTOR 80 % = 1,092.
    // Totals: OWNER 1,911, CONTRIBUTOR 2,184, TREASURY 105; Σ 4,200 = 600 units × 7, within the 5,000 escrow.
    expect(Object.fromEntries(r.result.allocations.map((a) => [a.account, a.amount]))).to.deep.equal({
      [OWNER]: 1911n,
      [CONTRIBUTOR]: 2184n,
      [TREASURY]: 105n,
    });
  });

  it("charges revenue reported on one dataset of a bundle to that dataset, not re-split by bundle weight", async () => {
    const { prisma } = f.db;
    const base = await prisma.license.findUniqueOrThrow({ where: { id: f.licenseId } });
    const owner = await prisma.creator.findUniqueOrThrow({ where: { address: OWNER } });
    const second = "0x" + "d2".padStart(64, "0");
    await prisma.dataset.create({
      data: { id: second, ownerId: owner.id, name: "Code", shares: { create: [{ account: OWNER, bps: 10_000 }] } },
    });
    const revenueShare = `0x${"88".repeat(32)}`;
    await prisma.license.create({
      data: {
        id: revenueShare,
        offerId: base.offerId,
        buyerId: base.buyerId,
        model: "revenue_share",
        token: TOKEN,
        scope: "training",
        revenueBps: 1000,
        exclusive: false,
        startsAt: f.licenseStart,
        endsAt: new Date(f.licenseStart.getTime() + 86_400_000),
        datasets: {
          create: [
            { datasetId: DATASET, weightBps: 5000 },
            { datasetId: second, weightBps: 5000 },
          ],
        },
      },
    });
    await prisma.deposit.create({
      data: {
        licenseId: revenueShare,
        token: TOKEN,
        amount: "200000",
        payer: "0x" + "b0".repeat(20),
        txHash: "0x" + "98".repeat(32),
        logIndex: 0,
        blockNumber: 11n,
        blockHash: "0x" + "cd".repeat(32),
        state: "confirmed",
      },
    });
    await prisma.usageEvent.create({
      data: {
        buyerId: base.buyerId,
        licenseId: revenueShare,
        datasetId: second,
        itemRef: "model-v2",
        units: "1000000",
        occurredAt: new Date(Date.now() - 60_000),
        idempotencyKey: "rev-1",
      },
    });
    const r = closed(await closeEpoch(f.deps, "operator-1", {}));
    // 10 % of 1,000,000 = 100,000, all on the second dataset (OWNER 100 %): fee 2.5 % = 2,500, OWNER 97,500. Split by
    // weight it would have been 50,000 per dataset, giving CONTRIBUTOR 40 % of 48,750 = 19,500.
    expect(Object.fromEntries(r.result.allocations.map((a) => [a.account, a.amount]))).to.deep.equal({
      [OWNER]: 97_500n,
      [TREASURY]: 2_500n,
    });
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
  it("reads only the licenses and datasets the epoch can touch, and allocates what the engine does from all of them", async () => {
    const { prisma } = f.db;
    await confirmedDeposit(f, FEE);
    const now = Math.floor(Date.now() / 1000) * 1000;
    const end1 = new Date(now - 2000);
    closed(await closeEpoch(f.deps, "operator-1", { endsAt: end1.toISOString() }));

    const owner = await prisma.creator.findFirstOrThrow();
    const buyer = await prisma.buyer.findFirstOrThrow();
    const offer = await prisma.offer.findFirstOrThrow();
    const other = "0x" + "d2".padStart(64, "0");
    await prisma.dataset.create({
      data: { id: other, ownerId: owner.id, name: "Other", shares: { create: [{ account: OWNER, bps: 10_000 }] } },
    });
    const day = 86_400_000;
    const license = async (id: string, startsAt: number, datasetId: string) =>
      prisma.license.create({
        data: {
          id,
          offerId: offer.id,
          buyerId: buyer.id,
          model: "one_time",
          token: TOKEN,
          scope: "training",
          price: FEE.toString(),
          exclusive: false,
          startsAt: new Date(startsAt),
          endsAt: new Date(startsAt + day),
          datasets: { create: [{ datasetId, weightBps: 10_000 }] },
        },
      });
    const ended = "0x" + "01".repeat(32); // over 9 days ago, beyond the 1-day late-usage grace: nothing left
    const future = "0x" + "02".repeat(32); // starts after the window
    const paidLate = "0x" + "03".repeat(32); // ended, but a deposit towards it arrives in this window
    await license(ended, now - 10 * day, other);
    await license(future, now + 2 * day, other);
    await license(paidLate, now - 5 * day, DATASET);
    await prisma.deposit.create({
      data: {
        licenseId: paidLate,
        token: TOKEN,
        amount: FEE.toString(),
        payer: buyer.address,
        txHash: "0x" + "ab".repeat(32),
        logIndex: 0,
        blockNumber: 11n,
        blockHash: "0x" + "cd".repeat(32),
        state: "confirmed",
      },
    });

    const end2 = new Date(now - 1000);
    const { raw } = await prisma.$transaction((tx) => settlementInput(tx, f.deps, 2, end1, end2, 1));
    expect(raw.licenses.map((l) => l.id)).to.deep.equal([paidLate, f.licenseId].sort());
    expect(raw.datasets.map((d) => d.id)).to.deep.equal([DATASET]);

    // What reading every license and dataset (the close before it scaled with the epoch) would have settled.
    const unread = [ended, future].map((id, i) => ({
      id,
      token: TOKEN,
      datasets: [{ datasetId: other, weight: 10_000 }],
      model: { kind: "oneTime" as const, fee: FEE.toString() },
      payer: buyer.address,
      endsAt: Math.floor((i === 0 ? now - 9 * day : now + 3 * day) / 1000),
      exclusivity: [],
    }));
    const full = allocate(
      SettlementInputSchema.parse({
        ...raw,
        licenses: [...raw.licenses, ...unread],
        datasets: [...raw.datasets, { id: other, contributors: [{ account: OWNER, bps: 10_000 }] }],
      }),
    );
    const scoped = allocate(SettlementInputSchema.parse(raw));
    expect(scoped.allocations).to.deep.equal(full.allocations);
    expect(scoped.totals).to.deep.equal(full.totals);
    expect(scoped.state.cumulative).to.deep.equal(full.state.cumulative);
    expect(scoped.state.ledger).to.deep.equal(full.state.ledger);

    // The close stores exactly that: the deposit to the ended license refunded to its payer, epoch 1's leaves
    // carried at their cumulative; the carried state as the engine returned it.
    const r = closed(await closeEpoch(f.deps, "operator-1", { endsAt: end2.toISOString() }));
    const rows = await prisma.allocation.findMany({ where: { epochId: r.epoch }, orderBy: { account: "asc" } });
    expect(rows.map((a) => [a.account, a.amount.toFixed(), a.cumulative.toFixed()])).to.deep.equal([
      [OWNER, "0", "585000"],
      [buyer.address, "1000000", "1000000"],
      [CONTRIBUTOR, "0", "390000"],
      [TREASURY, "0", "25000"],
    ]);
    // The state column holds all but the cumulative list, which is the allocations' (cumulative, exact): read back
    // for the next epoch, the two give the engine's state exactly.
    const asJson = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x)));
    const stored = await prisma.epoch.findUniqueOrThrow({ where: { id: r.epoch }, select: { state: true } });
    const { cumulative, ...rest } = r.result.state;
    expect(stored.state).to.deep.equal(asJson(rest));
    const exact = await prisma.allocation.findMany({
      where: { epochId: r.epoch },
      orderBy: [{ account: "asc" }, { token: "asc" }],
    });
    expect(exact.map((a) => [a.account, a.token, a.cumulative.toFixed(), a.exact?.toFixed()])).to.deep.equal(
      asJson(cumulative.map((c) => [c.account, c.token, c.amount, c.exact])),
    );
    expect(await prisma.$transaction((tx) => carriedState(tx, r.epoch))).to.deep.equal(asJson(r.result.state));
  });
});
