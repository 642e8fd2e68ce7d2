import { expect } from "chai";
import { errorKind, isTributaryError, TributaryError } from "../../../offchain/common/errors";

describe("offchain/common/errors", () => {
  it("is permanent unless told otherwise, and keeps the cause", () => {
    const cause = new Error("underlying");
    const err = new TributaryError("X_BROKEN", "broken", { cause });
    expect(err).to.include({ code: "X_BROKEN", kind: "permanent", retryable: false, message: "broken" });
    expect(err.cause).to.equal(cause);
    expect(new TributaryError("X_DOWN", "down", { kind: "retryable" }).retryable).to.equal(true);
  });

  it("errorKind: an unknown failure is retried, a TributaryError by its kind", () => {
    expect(errorKind(new Error("?"))).to.equal("retryable");
    expect(errorKind(new TributaryError("X", "x"))).to.equal("permanent");
    expect(isTributaryError({ code: "X", kind: "permanent" })).to.equal(false);
  });
});
