import { expect } from "chai";
import { unwrapUsageReceipt, usageReceiptEpoch } from "../../../offchain/merkle/usage-receipt-input";

describe("offchain/merkle/usage-receipt-input", () => {
  const receipt = { format: "tributary-usage-receipt", version: 1, epoch: 3 };

  it("takes the receipt out of the API's answer and leaves a bare receipt (or anything else) as it is", () => {
    expect(unwrapUsageReceipt({ epoch: 3, contentHash: "0x01", receipt })).to.equal(receipt);
    expect(unwrapUsageReceipt(receipt)).to.equal(receipt);
    for (const x of [null, 7, "text", [1]]) expect(unwrapUsageReceipt(x)).to.equal(x);
  });

  it("reads the epoch a receipt claims, undefined for anything that is not an object", () => {
    expect(usageReceiptEpoch(receipt)).to.equal(3);
    expect([null, 7, "text", {}].map(usageReceiptEpoch)).to.deep.equal([undefined, undefined, undefined, undefined]);
  });
});
