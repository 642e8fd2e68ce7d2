import { expect } from "chai";
import express from "express";
import request from "supertest";
import { createLogger } from "../../../offchain/common/logger";
import { TributaryError } from "../../../offchain/common/errors";
import { SettlementError } from "../../../offchain/settlement";
import { problemMiddleware } from "../../../offchain/api/problem";
import { EpochEndsInFutureError, EpochNotFoundError, EpochWindowEmptyError } from "../../../offchain/epochs";
import { DistributionFileInvalidError } from "../../../offchain/merkle";

function appThrowing(err: unknown) {
  const app = express();
  app.get("/boom", () => {
    throw err;
  });
  app.use(problemMiddleware(createLogger({ level: "silent" })));
  return app;
}

describe("offchain/api/problem", () => {
  it("answers a refused settlement (non-retryable domain error) with 422 problem+json naming its code, not 500", async () => {
    const res = await request(
      appThrowing(new SettlementError("SETTLEMENT_INVALID_INPUT", "treasury is the zero address")),
    ).get("/boom");
    expect(res.status).to.equal(422);
    expect(res.headers["content-type"]).to.match(/^application\/problem\+json/);
    expect(res.body).to.include({
      type: "/problems/settlement-invalid-input",
      status: 422,
      detail: "treasury is the zero address",
    });
  });

  it("answers a retryable domain error with 503 so the caller knows to try again", async () => {
    const res = await request(
      appThrowing(new TributaryError("CHAIN_RPC_UNAVAILABLE", "rpc down", { kind: "retryable" })),
    ).get("/boom");
    expect(res.status).to.equal(503);
    expect(res.body.type).to.equal("/problems/chain-rpc-unavailable");
  });

  it("hides an unexpected error's message behind a generic 500", async () => {
    const res = await request(appThrowing(new Error("secret internals"))).get("/boom");
    expect(res.status).to.equal(500);
    expect(JSON.stringify(res.body)).to.not.include("secret internals");
  });

  it("maps the epochs stage's errors by class: not found 404, empty window 409, end in the future 422", async () => {
    const got = async (err: unknown) => {
      const res = await request(appThrowing(err)).get("/boom");
      return [res.status, res.body.type];
    };
    expect(await got(new EpochNotFoundError(4))).to.deep.equal([404, "/problems/epoch-not-found"]);
    expect(await got(new EpochWindowEmptyError(2, new Date(0), new Date(0)))).to.deep.equal([
      409,
      "/problems/epoch-window-empty",
    ]);
    expect(await got(new EpochEndsInFutureError(new Date(8.64e15)))).to.deep.equal([
      422,
      "/problems/epoch-ends-in-future",
    ]);
  });

  it("answers a Merkle error (a bad distribution file) with 422, not 500", async () => {
    const res = await request(appThrowing(new DistributionFileInvalidError(3, "bad leaf"))).get("/boom");
    expect(res.status).to.equal(422);
    expect(res.body.type).to.equal("/problems/merkle-distribution-file-invalid");
  });
});
