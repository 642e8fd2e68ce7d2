/**
 * The in-process proof state: within maxAgeMs it answers from memory (no query), after it follows a promotion and
 * the claim watcher's writes; claimed totals never go down when a refresh re-reads older rows. A promotion or a claim
 * this process committed (proofEpochsChanged / proofClaimsRecorded) shows on the very next request, however large
 * maxAgeMs; another writer's shows only after maxAgeMs, without a request waiting for the database.
 */
import { expect } from "chai";
import type { PrismaClient } from "../../../offchain/db/client";
import { createProofState, proofClaimsRecorded, proofEpochsChanged } from "../../../offchain/epochs";

const A = `0x${"a1".repeat(20)}`;
const T = `0x${"7e".repeat(20)}`;

function fakeDatabase() {
  const db = {
    queries: 0,
    epochs: [] as { id: number; root: string; status: string }[],
    claimed: [] as { account: string; token: string; claimed: { toFixed(): string }; updatedAt: Date }[],
  };
  const prisma = {
    epoch: {
      async findFirst({ where }: { where: { status: string | { in: string[] } } }) {
        db.queries++;
        const ok = (s: string) => (typeof where.status === "string" ? s === where.status : where.status.in.includes(s));
        return (
          db.epochs
            .filter((e) => ok(e.status))
            .sort((x, y) => y.id - x.id)
            .map((e) => ({ ...e })) // a row, not the fake's own object
            .at(0) ?? null
        );
      },
    },
    claimedTotal: {
      async findMany() {
        db.queries++;
        return db.claimed;
      },
    },
  } as unknown as PrismaClient;
  return { db, prisma };
}

const amount = (n: bigint) => ({ toFixed: () => n.toString() });

describe("offchain/epochs/proof-state", () => {
  it("answers from memory within maxAgeMs, then refreshes: promotion and new claims show", async () => {
    const { db, prisma } = fakeDatabase();
    db.epochs.push({ id: 1, root: "0x01", status: "computed" });
    const state = createProofState({ prisma, maxAgeMs: 50 });
    const first = await state.forAccount(A);
    expect(first.latest).to.deep.equal({ id: 1, root: "0x01", status: "computed" });
    const afterFirst = db.queries;
    for (let i = 0; i < 100; i++) await state.forAccount(A.toUpperCase().replace("0X", "0x"));
    expect(db.queries, "no query while fresh").to.equal(afterFirst);

    db.epochs[0].status = "claimable";
    db.claimed.push({ account: A, token: T, claimed: amount(40n), updatedAt: new Date() });
    await new Promise((r) => setTimeout(r, 60));
    await state.forAccount(A); // past maxAgeMs: answered from the snapshot while the read runs
    await new Promise((r) => setTimeout(r, 5));
    const later = await state.forAccount(A);
    expect(later.latest?.status).to.equal("claimable");
    expect(later.claimed(T)).to.equal(40n);
    expect(later.claimed(`0x${"99".repeat(20)}`)).to.equal(0n);
  });

  it("never lowers a claimed total when a refresh re-reads an older row", async () => {
    const { db, prisma } = fakeDatabase();
    db.epochs.push({ id: 1, root: "0x01", status: "claimable" });
    db.claimed.push({ account: A, token: T, claimed: amount(70n), updatedAt: new Date() });
    const state = createProofState({ prisma, maxAgeMs: 1 });
    expect((await state.forAccount(A)).claimed(T)).to.equal(70n);
    db.claimed[0] = { account: A, token: T, claimed: amount(10n), updatedAt: new Date() };
    await new Promise((r) => setTimeout(r, 5));
    await state.forAccount(A); // starts the re-read
    await new Promise((r) => setTimeout(r, 5));
    expect((await state.forAccount(A)).claimed(T)).to.equal(70n);
  });

  it("shows a promotion and a claim committed in this process on the next request, with no refresh due", async () => {
    const { db, prisma } = fakeDatabase();
    db.epochs.push({ id: 1, root: "0x01", status: "claimable" }, { id: 2, root: "0x02", status: "mined" });
    const state = createProofState({ prisma, maxAgeMs: 3_600_000 });
    const before = await state.forAccount(A);
    expect(before.latest).to.deep.equal({ id: 1, root: "0x01", status: "claimable" });
    expect(before.claimed(T)).to.equal(0n);

    // Between two requests: the publisher promotes epoch 2, the claim watcher records a claim of 25.
    db.epochs[1].status = "claimable";
    proofEpochsChanged(prisma);
    proofClaimsRecorded(prisma, [{ account: A, token: T, total: 25n }]);
    const after = await state.forAccount(A);
    expect(after.latest).to.deep.equal({ id: 2, root: "0x02", status: "claimable" });
    expect(after.claimed(T), "claimed as recorded, without a read").to.equal(25n);

    // Recorded claims never go down (an older, smaller total from a re-delivered batch).
    proofClaimsRecorded(prisma, [{ account: A, token: T, total: 5n }]);
    expect((await state.forAccount(A)).claimed(T)).to.equal(25n);
    const queries = db.queries;
    for (let i = 0; i < 50; i++) await state.forAccount(A);
    expect(db.queries, "steady state: no query").to.equal(queries);
  });

  it("waits for a read that started after the change, not for one already in flight", async () => {
    const { db, prisma } = fakeDatabase();
    db.epochs.push({ id: 1, root: "0x01", status: "mined" });
    const state = createProofState({ prisma, maxAgeMs: 1 });
    await state.forAccount(A);
    await new Promise((r) => setTimeout(r, 5));
    // A request past maxAgeMs starts a background read of the old state and is answered at once …
    const stale = state.forAccount(A);
    // … then the promotion commits while that read is in flight.
    db.epochs[0].status = "claimable";
    proofEpochsChanged(prisma);
    expect((await stale).latest?.status).to.equal("mined");
    expect((await state.forAccount(A)).latest?.status).to.equal("claimable");
  });

  it("serves another writer's promotion after maxAgeMs from a background read (the request does not wait)", async () => {
    const { db, prisma } = fakeDatabase();
    db.epochs.push({ id: 1, root: "0x01", status: "mined" });
    const state = createProofState({ prisma, maxAgeMs: 200 });
    await state.forAccount(A);
    db.epochs[0].status = "claimable"; // written by another process: no signal here
    expect((await state.forAccount(A)).latest?.status, "within maxAgeMs").to.equal("mined");
    await new Promise((r) => setTimeout(r, 250));
    expect((await state.forAccount(A)).latest?.status, "answered from the snapshot, read started").to.equal("mined");
    await new Promise((r) => setTimeout(r, 20));
    expect((await state.forAccount(A)).latest?.status).to.equal("claimable");
  });

  it("ignores signals for another database client", async () => {
    const one = fakeDatabase();
    const other = fakeDatabase();
    one.db.epochs.push({ id: 1, root: "0x01", status: "claimable" });
    const state = createProofState({ prisma: one.prisma, maxAgeMs: 3_600_000 });
    await state.forAccount(A);
    proofClaimsRecorded(other.prisma, [{ account: A, token: T, total: 9n }]);
    expect((await state.forAccount(A)).claimed(T)).to.equal(0n);
  });

  it("periodic: false (embedded database) reads only after a signal, never because maxAgeMs passed", async () => {
    const { db, prisma } = fakeDatabase();
    db.epochs.push({ id: 1, root: "0x01", status: "mined" });
    const state = createProofState({ prisma, maxAgeMs: 1, periodic: false });
    await state.forAccount(A);
    const queries = db.queries;
    db.epochs[0].status = "claimable";
    await new Promise((r) => setTimeout(r, 10));
    for (let i = 0; i < 3; i++) expect((await state.forAccount(A)).latest?.status).to.equal("mined");
    expect(db.queries).to.equal(queries);
    proofEpochsChanged(prisma);
    expect((await state.forAccount(A)).latest?.status).to.equal("claimable");
  });
});
