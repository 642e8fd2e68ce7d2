import { expect } from "chai";
import {
  allocate,
  ExclusivityOverlapError,
  SettlementError,
  type SettlementInputRaw,
} from "../../../offchain/settlement";
import { addr, id32, parse, TOKEN, TREASURY } from "./fixtures";

const D1 = id32(1);
const D2 = id32(2);
const LA = id32(0xa1);
const LB = id32(0xb1);

function input(
  windows: { license: `0x${string}`; datasetId: `0x${string}`; scope: string; start: number; end: number }[],
): SettlementInputRaw {
  const license = (lid: `0x${string}`) => ({
    id: lid,
    token: TOKEN,
    datasets: [
      { datasetId: D1, weight: 1 },
      { datasetId: D2, weight: 1 },
    ],
    model: { kind: "oneTime" as const, fee: 10n },
    exclusivity: windows
      .filter((w) => w.license === lid)
      .map(({ datasetId, scope, start, end }) => ({ datasetId, scope, start, end })),
  });
  return {
    window: { epoch: 1, start: 0, end: 100 },
    platformFee: { bps: 0, treasury: TREASURY },
    datasets: [D1, D2].map((id) => ({ id, contributors: [{ account: addr(1), bps: 10000 }] })),
    // LB first: the error must name the pair in ascending order whatever the input order.
    licenses: [license(LB), license(LA)],
    previous: null,
  };
}

describe("settlement/exclusivity", () => {
  it("refuses two licenses with overlapping exclusive windows on the same dataset and scope, naming both", () => {
    const raw = input([
      { license: LA, datasetId: D1, scope: "pretraining", start: 0, end: 50 },
      { license: LB, datasetId: D1, scope: "pretraining", start: 49, end: 80 },
    ]);
    let caught: unknown;
    try {
      allocate(parse(raw));
    } catch (e) {
      caught = e;
    }
    expect(caught).to.be.instanceOf(ExclusivityOverlapError);
    const err = caught as ExclusivityOverlapError;
    expect(err).to.be.instanceOf(SettlementError);
    expect(err.code).to.equal("SETTLEMENT_EXCLUSIVITY_OVERLAP");
    expect(err.retryable).to.equal(false);
    expect([err.licenseA, err.licenseB, err.datasetId, err.scope]).to.deep.equal([LA, LB, D1, "pretraining"]);
    expect(err.message).to.contain(LA).and.to.contain(LB);
  });

  it("refuses an overlap hidden behind a longer window of the same license", () => {
    const raw = input([
      { license: LA, datasetId: D1, scope: "s", start: 0, end: 100 },
      { license: LA, datasetId: D1, scope: "s", start: 10, end: 20 },
      { license: LB, datasetId: D1, scope: "s", start: 90, end: 95 },
    ]);
    expect(() => allocate(parse(raw))).to.throw(ExclusivityOverlapError);
  });

  it("accepts adjacent half-open windows, other scopes, other datasets and a license's own overlapping windows", () => {
    const raw = input([
      { license: LA, datasetId: D1, scope: "s", start: 0, end: 50 },
      { license: LB, datasetId: D1, scope: "s", start: 50, end: 80 },
      { license: LB, datasetId: D1, scope: "other", start: 0, end: 80 },
      { license: LB, datasetId: D2, scope: "s", start: 0, end: 80 },
      { license: LA, datasetId: D1, scope: "s", start: 10, end: 40 },
    ]);
    expect(() => allocate(parse(raw))).not.to.throw();
  });
});
