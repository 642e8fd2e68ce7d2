import { expect } from "chai";
import { TributaryError } from "../../../offchain/common/errors";
import { ApiCallError, CheckFailed, CliError, EXIT_STATUS, exitStatusOf } from "../../../offchain/cli/errors";
import { DistributionFileInvalidError } from "../../../offchain/merkle/errors";
import { runCli } from "../../../offchain/cli/program";
import type { Context } from "../../../offchain/cli/context";

describe("offchain/cli/errors", () => {
  it("CLI errors share the project's base: code, permanent kind, message unchanged", () => {
    const e = new CliError("CLI_CONFIG_MISSING", "no JSON-RPC URL: pass --rpc or set RPC_URL");
    expect(e).to.be.instanceOf(TributaryError);
    expect([e.name, e.code, e.kind, e.message]).to.deep.equal([
      "CliError",
      "CLI_CONFIG_MISSING",
      "permanent",
      "no JSON-RPC URL: pass --rpc or set RPC_URL",
    ]);
    const f = new CheckFailed("proof verification failed");
    expect(f).to.be.instanceOf(CliError);
    expect([f.name, f.code, f.kind, f.message]).to.deep.equal([
      "CheckFailed",
      "CLI_CHECK_FAILED",
      "permanent",
      "proof verification failed",
    ]);
  });

  it("an API error is retryable for 5xx and 429, permanent for other 4xx, and keeps its status", () => {
    const kinds = [400, 404, 409, 429, 500, 503].map((s) => {
      const e = new ApiCallError(`GET /v1/epochs → ${s}`, s);
      return [e.code, e.status, e.kind, e.message];
    });
    expect(kinds).to.deep.equal([
      ["CLI_API_FAILED", 400, "permanent", "GET /v1/epochs → 400"],
      ["CLI_API_FAILED", 404, "permanent", "GET /v1/epochs → 404"],
      ["CLI_API_FAILED", 409, "permanent", "GET /v1/epochs → 409"],
      ["CLI_API_FAILED", 429, "retryable", "GET /v1/epochs → 429"],
      ["CLI_API_FAILED", 500, "retryable", "GET /v1/epochs → 500"],
      ["CLI_API_FAILED", 503, "retryable", "GET /v1/epochs → 503"],
    ]);
  });

  it("maps each failure to its documented exit status by code and kind", () => {
    const statuses = [
      new CheckFailed("proof verification failed"),
      new CliError("CLI_FILE_MISMATCH", "not the claimable root"),
      new DistributionFileInvalidError(2, "leaves sum to more than the header's total"),
      new CliError("CLI_ARGUMENT_INVALID", "amount: base units, digits only"),
      new CliError("CLI_CONFIG_MISSING", "no JSON-RPC URL"),
      new ApiCallError("GET /v1/epochs → 503", 503),
      new ApiCallError("GET /v1/epochs → 429", 429),
      new ApiCallError("GET /v1/epochs → 404", 404),
      new CliError("CLI_TRANSACTION_REVERTED", "claim 0x01 reverted"),
      new CliError("CLI_RPC_FAILED", "eth_call: execution reverted"),
      Object.assign(new Error("ENOENT: no such file or directory, open 'x.json'"), { code: "ENOENT" }),
      new TypeError("fetch failed"),
    ].map(exitStatusOf);
    const { checkFailed, usage, retryable, failed } = EXIT_STATUS;
    expect(statuses).to.deep.equal([
      checkFailed,
      checkFailed,
      checkFailed,
      usage,
      usage,
      retryable,
      retryable,
      failed,
      failed,
      failed,
      usage,
      retryable,
    ]);
    expect(EXIT_STATUS).to.deep.equal({ ok: 0, checkFailed: 1, usage: 2, retryable: 3, failed: 4 });
  });

  describe("runCli's exit status and message", () => {
    async function run(args: string[], context?: () => Promise<Context>) {
      let out = "";
      let err = "";
      const io = { out: (x: string) => void (out += x), err: (x: string) => void (err += x), isTty: false };
      const code = await runCli(args, { io, env: {}, ...(context ? { context } : {}) });
      return { code, out, err };
    }
    const failing = (e: Error) => () => Promise.reject(e);

    it("help exits 0; an unknown option or a missing argument is a usage error (2)", async () => {
      expect((await run(["--help"])).code).to.equal(0);
      const unknown = await run(["verify", "file", "x.ndjson", "--bogus"]);
      expect(unknown.code).to.equal(2);
      expect(unknown.err).to.contain("unknown option '--bogus'");
      expect((await run(["deposit"])).code).to.equal(2);
    });

    it("a node that is down is retryable (3), a refusal is not (4), each named by code in the message", async () => {
      const down = await run(["epoch", "status"], failing(new ApiCallError("GET /web-config.json → 503", 503)));
      expect(down).to.deep.include({ code: 3, err: "error: GET /web-config.json → 503 (CLI_API_FAILED, retryable)\n" });
      const refused = await run(["epoch", "status"], failing(new ApiCallError("GET /web-config.json → 403", 403)));
      expect(refused).to.deep.include({ code: 4, err: "error: GET /web-config.json → 403 (CLI_API_FAILED)\n" });
      const noKey = await run(["epoch", "status"], failing(new CliError("CLI_CONFIG_MISSING", "set PRIVATE_KEY")));
      expect(noKey).to.deep.include({ code: 2, err: "error: set PRIVATE_KEY (CLI_CONFIG_MISSING)\n" });
    });

    it("a file that does not exist is a usage error; a failed check exits 1 and prints only its own output", async () => {
      const missing = await run([
        "verify",
        "earnings",
        "0x" + "ab".repeat(20),
        "--no-chain",
        "--usage",
        "u.json",
        "--file",
        "/nonexistent/d.ndjson",
      ]);
      expect(missing.code).to.equal(2);
      expect(missing.err).to.match(/^error: ENOENT: no such file or directory/);
      const checked = await run(["epoch", "status"], failing(new CheckFailed("proof verification failed")));
      expect(checked).to.deep.include({ code: 1, err: "" });
    });
  });
});
