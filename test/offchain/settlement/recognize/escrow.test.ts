import { expect } from "chai";
import fc from "fast-check";
import { drawFromEscrow } from "../../../../offchain/settlement/recognize/escrow";
import { RUNS } from "../arbitraries";
import { id32 } from "../fixtures";

const groupArb = fc.integer({ min: 1, max: 6 }).chain((n) =>
  fc.record({
    available: fc.bigInt({ min: 0n, max: 5_000n }),
    owed: fc.array(fc.bigInt({ min: 0n, max: 2_000n }), { minLength: n, maxLength: n }),
    due: fc.array(fc.bigInt({ min: 0n, max: 2_000n }), { minLength: n, maxLength: n }),
  }),
);

const sum = (xs: readonly bigint[]) => xs.reduce((s, x) => s + x, 0n);

describe("settlement/recognize/escrow: drawFromEscrow", () => {
  it("pays what was owed before any new usage", () => {
    const keys = [id32(1), id32(2)];
    // Escrow 40; owed 30 + 0, new due 0 + 25: owed 30 paid in full first, then 10 of the 25 new.
    const draw = drawFromEscrow(40n, [30n, 0n], [0n, 25n], () => keys);
    // Of the paid, 30 + 0 settled the old owed (paidOwed), the rest is new due.
    expect(draw).to.deep.equal({ paid: [30n, 10n], paidOwed: [30n, 0n], owed: [0n, 15n], used: 40n });
  });

  it(`never draws beyond the escrow, conserves owed + due = paid + still owed, and pays each group pro rata within < 1 unit (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(groupArb, ({ available, owed, due }) => {
        const keys = owed.map((_, i) => id32(i + 1));
        const draw = drawFromEscrow(
          available,
          owed.every((o) => o === 0n) && available % 2n === 0n ? null : owed,
          due,
          () => keys,
        );
        expect(draw.used).to.equal(sum(draw.paid));
        expect(draw.used <= available).to.equal(true);
        // Nothing lost, nothing invented, per dataset.
        draw.paid.forEach((p, i) => {
          expect(p >= 0n && draw.owed[i] >= 0n).to.equal(true);
          expect(p + draw.owed[i]).to.equal(owed[i] + due[i]);
        });
        // Escrow is used as far as it goes.
        expect(draw.used).to.equal(available < sum(owed) + sum(due) ? available : sum(owed) + sum(due));
        // Old owed first: new due is touched only once old owed is fully paid.
        const oldPaid = sum(owed) <= available ? sum(owed) : available;
        const paidOnOld = owed.map((o, i) => (draw.paid[i] < o ? draw.paid[i] : o));
        if (sum(owed) > available) {
          expect(sum(paidOnOld)).to.equal(oldPaid);
          // Pro rata over the old owed: |paidᵢ·Σowed − available·owedᵢ| < Σowed.
          draw.paid.forEach((p, i) => {
            const diff = p * sum(owed) - available * owed[i];
            expect((diff < 0n ? -diff : diff) < sum(owed)).to.equal(true);
          });
        }
      }),
      { numRuns: RUNS },
    );
  });
});
