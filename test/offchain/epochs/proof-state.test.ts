/**
 * The in-process proof state: within maxAgeMs it answers from memory (no query), after it follows a promotion and
 * the claim watcher's writes; claimed totals never go down when a refresh re-reads older rows.
 */
import { expect } from "chai";
import type { PrismaClient } from "../../../offchain/db/client";
import { createProofState } from "../../../offchain/epochs";

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
    expect((await state.forAccount(A)).claimed(T)).to.equal(70n);
  });
});
