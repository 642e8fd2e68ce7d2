import { expect } from "chai";
import fc from "fast-check";
import { z } from "zod";
import {
  ContributorSchema,
  CumulativeAllocationSchema,
  LicenseDatasetSchema,
  UsageAggregateSchema,
} from "../../../offchain/settlement";
import {
  fastList,
  quickContributor,
  quickCumulative,
  quickLicenseDataset,
  quickUsage,
} from "../../../offchain/settlement/fastList";
import { RUNS } from "./arbitraries";

const hex = (digits: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${digits}}$`)).map((h) => `0x${h}`);
// Valid, canonical values are weighted up so the fast path is taken often.
const idArb = fc.oneof(
  { arbitrary: hex(64), weight: 12 },
  hex(64).map((h) => `0x${h.slice(2).toUpperCase()}`),
  hex(63),
  fc.constant("0x"),
  fc.integer(),
  fc.constant(undefined),
);
const addressArb = fc.oneof(
  { arbitrary: hex(40), weight: 12 },
  fc.constant("0x52908400098527886E0F7030069857D2E4169EE7"), // valid checksum
  fc.constant("0x52908400098527886E0F7030069857D2E4169Ee7"), // bad checksum
  hex(40).map((h) => h.toUpperCase()),
  hex(39),
  fc.constant(null),
);
const amountArb = fc.oneof(
  { arbitrary: fc.bigInt({ min: 0n, max: 10n ** 30n }), weight: 4 },
  fc.bigInt({ min: -5n, max: -1n }),
  { arbitrary: fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String), weight: 4 },
  fc.constantFrom("01", "1.5", "-1", "", " 1", "1e3"),
  fc.integer({ min: 0, max: 10 }),
);
const intArb = fc.oneof(
  fc.integer({ min: -2, max: 20_000 }),
  fc.constantFrom(0, -1, 1.5, Number.NaN, 2 ** 53, "3", 10_000, 10_001, 1_000_000_000, 1_000_000_001),
  { arbitrary: fc.integer({ min: 1, max: 10_000 }), weight: 6 },
);
const extra = fc.option(fc.record({ note: fc.string() }), { nil: undefined });

function withExtra<T extends object>(arb: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  const rows: fc.Arbitrary<unknown> = fc.tuple(arb, extra).map(([row, more]) => ({ ...row, ...(more ?? {}) }));
  const junk: fc.Arbitrary<unknown> = fc.constantFrom(null, [], "row", 7);
  return fc.oneof({ arbitrary: rows, weight: 10 }, { arbitrary: junk, weight: 1 });
}

const cases = [
  {
    name: "usage",
    schema: UsageAggregateSchema,
    quick: quickUsage,
    rows: withExtra(fc.record({ licenseId: idArb, datasetId: idArb, epoch: intArb, units: amountArb })),
  },
  {
    name: "bundle entry",
    schema: LicenseDatasetSchema,
    quick: quickLicenseDataset,
    rows: withExtra(fc.record({ datasetId: idArb, weight: intArb })),
  },
  {
    name: "cumulative",
    schema: CumulativeAllocationSchema,
    quick: quickCumulative,
    rows: withExtra(fc.record({ account: addressArb, token: addressArb, amount: amountArb })),
  },
  {
    name: "contributor",
    schema: ContributorSchema,
    quick: quickContributor,
    rows: withExtra(fc.record({ account: addressArb, bps: intArb })),
  },
] as const;

describe("settlement/fastList: the fast row check agrees with the zod row schema", () => {
  for (const c of cases) {
    it(`${c.name}: a row the fast check takes is accepted by zod with an identical output; lists parse like z.array (${RUNS} runs)`, () => {
      const schema = c.schema as z.ZodType;
      const quick = c.quick as (v: unknown) => unknown;
      const fast = fastList(schema, quick);
      const reference = z.array(schema);
      let taken = 0;
      fc.assert(
        fc.property(fc.array(c.rows, { maxLength: 4 }), (rows) => {
          for (const row of rows) {
            const q = quick(row);
            if (q === undefined) continue;
            taken++;
            const z1 = schema.safeParse(row);
            expect(z1.success, "zod refuses a row the fast check took").to.equal(true);
            expect(q).to.deep.equal(z1.data);
          }
          const a = fast.safeParse(rows);
          const b = reference.safeParse(rows);
          expect(a.success).to.equal(b.success);
          if (a.success && b.success) expect(a.data).to.deep.equal(b.data);
          else
            expect(a.error!.issues.map((i) => i.path)).to.deep.include.members(
              b.error!.issues.slice(0, 1).map((i) => i.path),
            );
        }),
        { numRuns: RUNS },
      );
      expect(taken, "the fast path was exercised").to.be.greaterThan(20);
    });
  }
});
