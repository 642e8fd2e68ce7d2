import { expect } from "chai";
import { toTokenTotals } from "../../../offchain/chain/root-chain";

describe("offchain/chain/root-chain toTokenTotals", () => {
  it("reads the totals the service's epoch close stores (settlement result array) as cumulative per token, sorted by address", () => {
    const stored = [
      { token: "0xBBBB000000000000000000000000000000000000", amount: "5", cumulative: "15" },
      {
        token: "0xaaaa000000000000000000000000000000000000",
        amount: "1",
        cumulative: "1000000000000000000000000000003",
      },
    ];
    expect(toTokenTotals(stored)).to.deep.equal([
      { token: "0xaaaa000000000000000000000000000000000000", total: 1000000000000000000000000000003n },
      { token: "0xbbbb000000000000000000000000000000000000", total: 15n },
    ]);
  });
});
