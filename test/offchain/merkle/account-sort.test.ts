import { expect } from "chai";
import fc from "fast-check";
import { sortAccountRecords } from "../../../offchain/merkle/account-sort";

const RUNS = Number(process.env.MERKLE_FUZZ_RUNS ?? 500);

describe("offchain/merkle/account-sort", () => {
  it("sorts account records like a string sort, breaking 4-byte-prefix ties by the full address, on both sort paths (property)", () => {
    const account = fc.oneof(
      fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => Buffer.from(b).toString("hex")),
      fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => `deadbeef${Buffer.from(b).toString("hex")}`),
      fc.constantFrom("deadbeef" + "00".repeat(16), "deadbeef" + "ff".repeat(16)),
    );
    fc.assert(
      fc.property(fc.array(account, { maxLength: 50 }), fc.boolean(), (hexes, comparatorPath) => {
        const records = hexes.map((h) => `0x${h}`);
        const ascii = Buffer.from(records.join(""), "latin1");
        const { sorted, duplicate } = sortAccountRecords(
          ascii,
          Uint32Array.from(records.keys()),
          comparatorPath ? 0 : undefined,
        );
        const expected = [...records].sort();
        expect(Array.from(sorted, (i) => records[i])).to.deep.equal(expected);
        const hasDuplicate = new Set(records).size < records.length;
        expect(duplicate >= 0).to.equal(hasDuplicate);
        if (hasDuplicate) expect(records.filter((r) => r === records[duplicate]).length).to.be.greaterThan(1);
      }),
      { numRuns: RUNS },
    );
  });
});
