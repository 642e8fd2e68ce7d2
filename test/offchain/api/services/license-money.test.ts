/**
 * A license's money from the carried state of the last epoch that stood: nothing before a close, the one-time fee
 * recognized and the overpayment refunded after one, a vetoed epoch not counted, another buyer's license not found.
 */
import { expect } from "chai";
import { ApiError } from "../../../../offchain/api/errors";
import { licenseMoney } from "../../../../offchain/api/services/license-money";
import { closeEpoch } from "../../../../offchain/epochs";
import { confirmedDeposit, FEE, openEpochsFixture, TOKEN, type EpochsFixture } from "../../epochs/fixtures";

const BUYER = "0x" + "b0".repeat(20);

describe("offchain/api/services/license-money", () => {
  let f: EpochsFixture;
  before(async () => {
    f = await openEpochsFixture();
  });
  after(async () => {
    await f?.db.close();
  });

  it("reports zeros and no epoch before any close settled the license", async () => {
    await confirmedDeposit(f, FEE + 7n);
    expect(await licenseMoney(f.deps, BUYER, f.licenseId)).to.deep.equal({
      licenseId: f.licenseId,
      token: TOKEN,
      status: "active",
      asOfEpoch: null,
      deposited: "0",
      recognized: "0",
      refunded: "0",
      escrow: "0",
      owed: "0",
    });
  });

  it("after a close: the fee recognized, the 7-unit overpayment refunded, nothing left in escrow", async () => {
    const r = await closeEpoch(f.deps, "op", {});
    expect(r.status).to.equal("closed");
    // deposited 1,000,007 = recognized 1,000,000 (the fee) + refunded 7 (overpayment, refunded at once) + escrow 0
    expect(await licenseMoney(f.deps, BUYER, f.licenseId)).to.deep.equal({
      licenseId: f.licenseId,
      token: TOKEN,
      status: "active",
      asOfEpoch: 1,
      deposited: (FEE + 7n).toString(),
      recognized: FEE.toString(),
      refunded: "7",
      escrow: "0",
      owed: "0",
    });
  });

  it("does not count a vetoed epoch: the figures are those the next close chains from", async () => {
    await f.db.prisma.epoch.update({ where: { id: 1 }, data: { status: "vetoed" } });
    const m = await licenseMoney(f.deps, BUYER, f.licenseId);
    expect([m.asOfEpoch, m.deposited, m.recognized, m.refunded]).to.deep.equal([null, "0", "0", "0"]);
    await f.db.prisma.epoch.update({ where: { id: 1 }, data: { status: "computed" } });
  });

  it("answers not found for a license of another buyer", async () => {
    const other = "0x" + "b1".repeat(20);
    await f.db.prisma.buyer.create({ data: { address: other, name: "Other" } });
    const err = await licenseMoney(f.deps, other, f.licenseId).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ApiError);
    expect([(err as ApiError).status, (err as ApiError).message]).to.deep.equal([
      404,
      `license ${f.licenseId} not found`,
    ]);
  });
});
