import { expect } from "chai";
import fc from "fast-check";
import { largestRemainder } from "../../../offchain/settlement";
import { RUNS } from "./arbitraries";
import { addr } from "./fixtures";

const partsArb = fc
  .uniqueArray(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 8 })
  .chain((ids) =>
    fc.tuple(
      ...ids.map((id) =>
        fc.record({ key: fc.constant(addr(id) as string), weight: fc.bigInt({ min: 0n, max: 20_000n }) }),
      ),
    ),
  )
  .filter((parts) => parts.some((p) => p.weight > 0n));

describe("settlement/split: largestRemainder", () => {
  it("splits 10 three ways as 4/3/3 and gives a tied unit to the lower key", () => {
    expect(
      largestRemainder(10n, [
        { key: addr(3), weight: 1n },
        { key: addr(1), weight: 1n },
        { key: addr(2), weight: 1n },
      ]),
    ).to.deep.equal([3n, 4n, 3n]);
    expect(
      largestRemainder(1n, [
        { key: addr(0xb), weight: 5000n },
        { key: addr(0xa), weight: 5000n },
      ]),
    ).to.deep.equal([0n, 1n]);
  });

  it(`sums exactly to the total and keeps each share within < 1 unit of total·w/W (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), partsArb, (total, parts) => {
        const shares = largestRemainder(total, parts);
        const W = parts.reduce((s, p) => s + p.weight, 0n);
        expect(shares.reduce((s, x) => s + x, 0n)).to.equal(total);
        shares.forEach((share, i) => {
          const diff = share * W - total * parts[i].weight;
          expect((diff < 0n ? -diff : diff) < W).to.equal(true);
          expect(share >= 0n).to.equal(true);
        });
      }),
      { numRuns: RUNS },
    );
  });

  it(`gives every key the same share whatever the order of the parts (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 6n }), partsArb, fc.integer(), (total, parts, seed) => {
        const reversedOrRotated =
          seed % 2 === 0
            ? [...parts].reverse()
            : [...parts.slice(Math.abs(seed) % parts.length), ...parts.slice(0, Math.abs(seed) % parts.length)];
        const byKey = (ps: typeof parts) => {
          const shares = largestRemainder(total, ps);
          return new Map(ps.map((p, i) => [p.key, shares[i]]));
        };
        expect(byKey(reversedOrRotated)).to.deep.equal(byKey(parts));
      }),
      { numRuns: RUNS },
    );
  });

  it("refuses weights with a zero sum and a negative total", () => {
    expect(() => largestRemainder(1n, [{ key: addr(1), weight: 0n }])).to.throw(RangeError);
    expect(() => largestRemainder(-1n, [{ key: addr(1), weight: 1n }])).to.throw(RangeError);
  });
});
