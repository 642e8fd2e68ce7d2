import { expect } from "chai";
import { blockRanges } from "../../../offchain/chain/block-ranges";
import { ChainError } from "../../../offchain/chain/errors";

describe("offchain/chain/block-ranges", () => {
  it("covers from..to in order with inclusive ranges of at most maxBlockRange blocks, the last one cut at to", () => {
    expect([...blockRanges(10n, 24n, 5)]).to.deep.equal([
      { fromBlock: 10n, toBlock: 14n },
      { fromBlock: 15n, toBlock: 19n },
      { fromBlock: 20n, toBlock: 24n },
    ]);
    expect([...blockRanges(10n, 12n, 5)]).to.deep.equal([{ fromBlock: 10n, toBlock: 12n }]);
    expect([...blockRanges(7n, 7n, 1)]).to.deep.equal([{ fromBlock: 7n, toBlock: 7n }]);
  });

  it("yields nothing when from is past to (nothing new since the cursor)", () => {
    expect([...blockRanges(25n, 24n, 5)]).to.deep.equal([]);
  });

  it("every block of a random span is covered exactly once (property over 200 spans)", () => {
    for (let i = 0; i < 200; i++) {
      const from = BigInt(Math.floor(Math.random() * 1000));
      const to = from + BigInt(Math.floor(Math.random() * 300)) - 1n;
      const max = 1 + Math.floor(Math.random() * 50);
      let next = from;
      for (const r of blockRanges(from, to, max)) {
        expect(r.fromBlock).to.equal(next);
        expect(r.toBlock - r.fromBlock + 1n <= BigInt(max)).to.equal(true);
        next = r.toBlock + 1n;
      }
      expect(next).to.equal(to < from ? from : to + 1n);
    }
  });

  it("refuses a range size below one with CHAIN_CONFIG_INVALID", () => {
    expect(() => [...blockRanges(0n, 10n, 0)])
      .to.throw(ChainError)
      .with.property("code", "CHAIN_CONFIG_INVALID");
  });
});
