import { expect } from "chai";
import { TributaryError } from "../../../offchain/common/errors";
import { ApiCallError, CheckFailed, CliError } from "../../../offchain/cli/errors";

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
});
