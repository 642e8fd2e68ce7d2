import { expect } from "chai";
import { TributaryError } from "../../../offchain/common/errors";
import { createLoop, reportFailedPass } from "../../../offchain/chain/loop";
import { RootRevertedError } from "../../../offchain/chain/errors";

function recorder() {
  const lines: { level: string; obj: Record<string, unknown>; msg?: string }[] = [];
  const at = (level: string) => (obj: object, msg?: string) =>
    lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, logger: { info: at("info"), warn: at("warn"), error: at("error"), debug: at("debug") } };
}

describe("offchain/chain/loop", () => {
  it("reports a retryable failure as a warning, a permanent one as an alert, an unknown one as an error", () => {
    const { lines, logger } = recorder();
    reportFailedPass(logger, "publisher", new TributaryError("CHAIN_RPC_UNAVAILABLE", "down", { kind: "retryable" }));
    reportFailedPass(
      logger,
      "publisher",
      new RootRevertedError({ errorName: "RoyaltySplitterInsolventRoot", args: [1n, 2n] }),
    );
    reportFailedPass(logger, "publisher", new TypeError("x is undefined"));
    expect(lines.map((l) => [l.level, l.obj.code, l.obj.alert])).to.deep.equal([
      ["warn", "CHAIN_RPC_UNAVAILABLE", undefined],
      ["error", "CHAIN_ROOT_REVERTED", true],
      ["error", undefined, undefined],
    ]);
    expect(lines[1].msg).to.equal("publisher pass failed permanently: needs attention");
  });

  it("keeps running after a failed pass and stop() waits for the pass in flight", async () => {
    const { lines, logger } = recorder();
    let passes = 0;
    let finished = 0;
    const loop = createLoop(
      "t",
      1,
      async () => {
        passes++;
        await new Promise((r) => setTimeout(r, 5));
        finished++;
        if (passes === 1) throw new TributaryError("X_FAILED", "first", { kind: "retryable" });
      },
      logger,
    );
    loop.start();
    while (passes < 3) await new Promise((r) => setTimeout(r, 2));
    await loop.stop();
    expect(finished).to.equal(passes);
    expect(lines.filter((l) => l.level === "warn")).to.have.length(1);
  });
});
