import { expect } from "chai";
import type { Hex } from "viem";
import type { ChainLogger } from "../../../offchain/chain/common";
import { createPublicationStore, TAKEN } from "../../../offchain/chain/publication-store";
import type { SignedTx } from "../../../offchain/chain/publication-tx";
import { Prisma } from "../../../offchain/db/generated/client";
import { createEpoch } from "../helpers/chain";
import { openTestDatabase, truncateAll, type TestDb } from "../helpers/database";

const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);
const hash = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;
const tx = (n: number, nonce = 7): SignedTx => ({
  hash: hash(n),
  raw: `0x02f8${n.toString(16).padStart(4, "0")}` as Hex,
  nonce,
  maxFeePerGas: 30_000_000_000n + BigInt(n),
  maxPriorityFeePerGas: 1_000_000_000n + BigInt(n),
});

type Line = { level: "info" | "warn" | "error" | "debug"; obj: object; msg?: string };

describe("offchain/chain/publication-store", () => {
  let db: TestDb;
  let lines: Line[];
  const log: ChainLogger = {
    info: (obj, msg) => lines.push({ level: "info", obj, msg }),
    warn: (obj, msg) => lines.push({ level: "warn", obj, msg }),
    error: (obj, msg) => lines.push({ level: "error", obj, msg }),
    debug: (obj, msg) => lines.push({ level: "debug", obj, msg }),
  };
  const store = () => createPublicationStore(db, log, () => NOW);

  before(async () => {
    db = await openTestDatabase();
  });
  after(async () => db.close());
  beforeEach(async () => {
    lines = [];
    await truncateAll(db);
  });

  /** The publication row with its machine fields in comparable form (decimals as strings, dates as ms). */
  async function publication(epochId: number) {
    const p = await db.prisma.epochPublication.findUnique({ where: { epochId } });
    if (p === null) return null;
    return {
      state: p.state,
      nonce: p.nonce,
      txHash: p.txHash,
      rawTx: p.rawTx,
      maxFeePerGas: p.maxFeePerGas?.toString() ?? null,
      maxPriorityFeePerGas: p.maxPriorityFeePerGas?.toString() ?? null,
      attempts: p.attempts,
      submittedAt: p.submittedAt?.getTime() ?? null,
      minedTxHash: p.minedTxHash,
      minedBlock: p.minedBlock,
      readyAt: p.readyAt?.getTime() ?? null,
      failureCode: p.failureCode,
      failureMessage: p.failureMessage,
    };
  }
  const epochRow = (id: number) =>
    db.prisma.epoch.findUniqueOrThrow({ where: { id }, select: { status: true, txHash: true } });

  const unsent = {
    nonce: null,
    txHash: null,
    rawTx: null,
    maxFeePerGas: null,
    maxPriorityFeePerGas: null,
    submittedAt: null,
    minedTxHash: null,
    minedBlock: null,
    readyAt: null,
    failureCode: null,
    failureMessage: null,
  };
  const signed = (t: SignedTx, attempts: Hex[] = [t.hash]) => ({
    ...unsent,
    state: "submitted",
    nonce: t.nonce,
    txHash: t.hash,
    rawTx: t.raw,
    maxFeePerGas: t.maxFeePerGas.toString(),
    maxPriorityFeePerGas: t.maxPriorityFeePerGas.toString(),
    attempts,
    submittedAt: NOW,
  });

  it("recordSigned stores the signed transaction and marks the epoch submitted, in one transaction", async () => {
    await createEpoch(db, 1, {});
    const result = await store().recordSigned(1, tx(1));
    expect(result).to.not.equal(TAKEN);
    expect(await publication(1)).to.deep.equal(signed(tx(1)));
    expect(await epochRow(1)).to.deep.equal({ status: "submitted", txHash: hash(1) });
  });

  it("recordSigned answers TAKEN when another instance recorded the epoch first, and changes nothing", async () => {
    await createEpoch(db, 1, {});
    await store().recordSigned(1, tx(1));
    expect(await store().recordSigned(1, tx(2, 8))).to.equal(TAKEN);
    expect(await publication(1)).to.deep.equal(signed(tx(1)));
    expect(await epochRow(1)).to.deep.equal({ status: "submitted", txHash: hash(1) });
  });

  it("recordSigned for an epoch the database does not hold fails and leaves no publication behind", async () => {
    let caught: unknown;
    try {
      await store().recordSigned(9, tx(1));
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(Prisma.PrismaClientKnownRequestError);
    expect((caught as Prisma.PrismaClientKnownRequestError).code).to.equal("P2025");
    expect(await publication(9)).to.equal(null);
  });

  it("recordAdopted records a root found on chain with its hash only, and TAKEN the second time", async () => {
    await createEpoch(db, 1, {});
    const s = store();
    expect(await s.recordAdopted(1, hash(5))).to.not.equal(TAKEN);
    expect(await s.recordAdopted(1, hash(6))).to.equal(TAKEN);
    expect(await publication(1)).to.deep.equal({ ...unsent, state: "submitted", attempts: [hash(5)] });
    expect(await epochRow(1)).to.deep.equal({ status: "computed", txHash: null });
  });

  it("nextComputed is the lowest computed epoch without a publication; open lists submitted and mined ones by id", async () => {
    for (const id of [1, 2, 3, 4]) await createEpoch(db, id, {});
    const s = store();
    expect(await s.nextComputed()).to.equal(1);
    await s.recordSigned(3, tx(3));
    await s.recordSigned(1, tx(1));
    await s.markMined(1, hash(1), 10n, 1_800_000_000);
    expect(await s.nextComputed()).to.equal(2);
    await s.failUnsent(2, "RoyaltySplitterInsolventRoot", "insolvent");
    expect(await s.nextComputed()).to.equal(4);
    await s.recordSigned(4, tx(4));
    await s.settle(4, "vetoed");
    expect(await s.nextComputed()).to.equal(undefined);
    expect((await s.open()).map((p) => [p.epochId, p.state])).to.deep.equal([
      [1, "mined"],
      [3, "submitted"],
    ]);
  });

  it("recordRepriced replaces the transaction fields and appends the new hash to the attempts", async () => {
    await createEpoch(db, 1, {});
    const s = store();
    await s.recordSigned(1, tx(1));
    await s.recordRepriced(await s.get(1), tx(2));
    expect(await publication(1)).to.deep.equal(signed(tx(2), [hash(1), hash(2)]));
    expect(await epochRow(1)).to.deep.equal({ status: "submitted", txHash: hash(1) });
  });

  it("markMined records the mined transaction, its block and the ready time; backToSubmitted undoes it after a reorg", async () => {
    await createEpoch(db, 1, {});
    const s = store();
    await s.recordSigned(1, tx(1));
    await s.recordRepriced(await s.get(1), tx(2));
    await s.markMined(1, hash(1), 42n, 1_800_000_000);
    expect(await publication(1)).to.deep.equal({
      ...signed(tx(2), [hash(1), hash(2)]),
      state: "mined",
      minedTxHash: hash(1),
      minedBlock: 42n,
      readyAt: 1_800_000_000_000,
    });
    expect(await epochRow(1)).to.deep.equal({ status: "mined", txHash: hash(1) });
    expect(lines).to.deep.equal([{ level: "info", obj: { epoch: 1, txHash: hash(1) }, msg: "root mined" }]);

    await s.backToSubmitted(1);
    expect(await publication(1)).to.deep.equal(signed(tx(2), [hash(1), hash(2)]));
    expect(await epochRow(1)).to.deep.equal({ status: "submitted", txHash: hash(1) });
  });

  it("settle moves the publication and the epoch to claimable or vetoed", async () => {
    for (const id of [1, 2]) {
      await createEpoch(db, id, {});
      await store().recordSigned(id, tx(id));
    }
    await store().settle(1, "claimable");
    await store().settle(2, "vetoed");
    expect([(await publication(1))?.state, (await publication(2))?.state]).to.deep.equal(["claimable", "vetoed"]);
    expect([await epochRow(1), await epochRow(2)]).to.deep.equal([
      { status: "claimable", txHash: hash(1) },
      { status: "vetoed", txHash: hash(2) },
    ]);
    expect(lines).to.deep.equal([
      { level: "info", obj: { epoch: 1, fate: "claimable" }, msg: "root settled" },
      { level: "info", obj: { epoch: 2, fate: "vetoed" }, msg: "root settled" },
    ]);
  });

  it("forget deletes the publication and returns the epoch to computed, so it is signed again", async () => {
    await createEpoch(db, 1, {});
    const s = store();
    await s.recordSigned(1, tx(1));
    await s.forget(1, "nonce consumed by another transaction");
    expect(await publication(1)).to.equal(null);
    expect(await epochRow(1)).to.deep.equal({ status: "computed", txHash: null });
    expect(await s.nextComputed()).to.equal(1);
    expect(lines).to.deep.equal([
      { level: "warn", obj: { epoch: 1 }, msg: "publication forgotten: nonce consumed by another transaction" },
    ]);
  });

  it("failUnsent records a permanent failure before sending, or answers waiting when another instance has the epoch", async () => {
    await createEpoch(db, 1, {});
    await createEpoch(db, 2, {});
    const s = store();
    expect(await s.failUnsent(1, "RoyaltySplitterInsolventRoot", "insolvent: 5 > 4")).to.deep.equal({
      failed: { epoch: 1, code: "RoyaltySplitterInsolventRoot" },
    });
    expect(await publication(1)).to.deep.equal({
      ...unsent,
      state: "failed",
      attempts: [],
      failureCode: "RoyaltySplitterInsolventRoot",
      failureMessage: "insolvent: 5 > 4",
    });
    await s.recordSigned(2, tx(2));
    expect(await s.failUnsent(2, "RoyaltySplitterInsolventRoot", "insolvent")).to.deep.equal({
      waiting: "epoch 2 is being published by another instance",
    });
    expect(await publication(2)).to.deep.equal(signed(tx(2)));
    expect(lines).to.deep.equal([
      {
        level: "error",
        obj: { epoch: 1, code: "RoyaltySplitterInsolventRoot", reason: "insolvent: 5 > 4" },
        msg: "root publication failed permanently",
      },
    ]);
  });

  it("failSent marks a sent publication failed and keeps its transaction fields", async () => {
    await createEpoch(db, 1, {});
    const s = store();
    await s.recordSigned(1, tx(1));
    await s.failSent(1, "RoyaltySplitterTotalDecreased", "total decreased");
    expect(await publication(1)).to.deep.equal({
      ...signed(tx(1)),
      state: "failed",
      failureCode: "RoyaltySplitterTotalDecreased",
      failureMessage: "total decreased",
    });
    expect(lines).to.deep.equal([
      {
        level: "error",
        obj: { epoch: 1, code: "RoyaltySplitterTotalDecreased", reason: "total decreased" },
        msg: "root transaction reverted; publication failed permanently",
      },
    ]);
  });
});
