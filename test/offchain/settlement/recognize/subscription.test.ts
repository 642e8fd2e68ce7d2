import { expect } from "chai";
import fc from "fast-check";
import { subscriptionRecognizedToDate } from "../../../../offchain/settlement";
import { recognizeSubscription } from "../../../../offchain/settlement/recognize/subscription";
import { RUNS } from "../arbitraries";

const modelArb = fc.record({
  kind: fc.constant("subscription" as const),
  feePerPeriod: fc.bigInt({ min: 1n, max: 10n ** 24n }),
  periodSeconds: fc.integer({ min: 1, max: 100_000 }),
  start: fc.integer({ min: 0, max: 1_000_000 }),
  maxPeriods: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
});

describe("settlement/recognize/subscription", () => {
  it("recognizes a period straddling an epoch boundary as ⌊fee·elapsed/period⌋ then the rest", () => {
    const m = { kind: "subscription" as const, feePerPeriod: 1000n, periodSeconds: 3, start: 0 };
    // Boundaries at 1 and 2: ⌊1000/3⌋ = 333, ⌊2000/3⌋ − 333 = 666 − 333 = 333, 1000 − 666 = 334.
    expect(recognizeSubscription(m, 1000n, 0n, 1)).to.equal(333n);
    expect(recognizeSubscription(m, 1000n, 333n, 2)).to.equal(333n);
    expect(recognizeSubscription(m, 1000n, 666n, 3)).to.equal(334n);
    expect(recognizeSubscription(m, 1000n, 1000n, 10)).to.equal(0n); // only one period paid
  });

  it(`sums the pieces over any epoch boundaries to exactly fee × paid periods, never decreasing (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(
        modelArb,
        fc.bigInt({ min: 0n, max: 500n }),
        fc.bigInt({ min: 0n, max: 10n ** 24n }),
        fc.array(fc.integer({ min: 1, max: 50_000 }), { minLength: 1, maxLength: 40 }),
        (m, periods, extra, steps) => {
          // Deposits worth `periods` periods plus a partial one that must not count.
          const deposited = m.feePerPeriod * periods + (extra % m.feePerPeriod);
          let t = m.start - 7;
          let recognized = 0n;
          for (const step of steps) {
            t += step;
            const piece = recognizeSubscription(m, deposited, recognized, t);
            expect(piece >= 0n).to.equal(true);
            recognized += piece;
            expect(recognized).to.equal(subscriptionRecognizedToDate(m, deposited, t));
          }
          let paid = deposited / m.feePerPeriod;
          if (m.maxPeriods !== undefined && paid > BigInt(m.maxPeriods)) paid = BigInt(m.maxPeriods);
          const end = m.start + Number(paid) * m.periodSeconds;
          recognized += recognizeSubscription(m, deposited, recognized, Math.max(t, end));
          expect(recognized).to.equal(m.feePerPeriod * paid);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
