import { expect } from "chai";
import { ChainError, RootRevertedError } from "../../../offchain/chain/errors";
import { TributaryError } from "../../../offchain/common/errors";

describe("offchain/chain/errors", () => {
  it("a root the splitter refuses for what it is is permanent; a pause or a maturing root is retryable", () => {
    const kind = (errorName: string) => new RootRevertedError({ errorName, args: [] }).kind;
    for (const name of [
      "RoyaltySplitterInsolventRoot",
      "RoyaltySplitterTotalDecreased",
      "RoyaltySplitterEpochNotIncreasing",
      "RoyaltySplitterTotalsNotSorted",
      "RoyaltySplitterZeroRoot",
      "RoyaltySplitterAmountTooLarge",
      "AccessControlUnauthorizedAccount",
    ])
      expect(kind(name), name).to.equal("permanent");
    for (const name of ["RoyaltySplitterPaused", "RoyaltySplitterRootPending", "SomethingNew"])
      expect(kind(name), name).to.equal("retryable");
  });

  it("is a ChainError on the shared base, with the decoded revert in its message and arguments", () => {
    const err = new RootRevertedError({ errorName: "RoyaltySplitterInsolventRoot", args: [10n ** 30n, 5n] });
    expect(err).to.be.instanceOf(ChainError).and.instanceOf(TributaryError);
    expect(err).to.include({ code: "CHAIN_ROOT_REVERTED", retryable: false });
    expect(err.message).to.equal(
      "proposeRoot reverted: RoyaltySplitterInsolventRoot(1000000000000000000000000000000, 5)",
    );
  });

  it("from() returns undefined for an error that is not a decoded revert", () => {
    expect(RootRevertedError.from(new Error("socket hang up"))).to.equal(undefined);
  });
});
