import { expect } from "chai";
import { SettlementError, type SettlementInput, type SettlementInputRaw } from "../../../offchain/settlement";
import { emptyRejections, ingestFacts } from "../../../offchain/settlement/ingest";
import { prepareEpoch } from "../../../offchain/settlement/validate";
import { addr, id32, parse, TOKEN, TREASURY } from "./fixtures";

const D1 = id32(1);
const D2 = id32(2);
const D3 = id32(3);
const PER_USE = id32(0x101);
const REV_SHARE = id32(0x102);
const ONE_TIME = id32(0x103);
const UNKNOWN = id32(0x1ff);
const OTHER_TOKEN = addr(0x71);
const PAYER = addr(0xb0);

function raw(overrides: Partial<SettlementInputRaw> = {}): SettlementInputRaw {
  return {
    window: { epoch: 3, start: 1000, end: 2000 },
    platformFee: { bps: 0, treasury: TREASURY },
    datasets: [
      { id: D1, contributors: [{ account: addr(1), bps: 10000 }] },
      { id: D2, contributors: [{ account: addr(2), bps: 10000 }] },
      { id: D3, contributors: [{ account: addr(3), bps: 10000 }] },
    ],
    licenses: [
      {
        id: PER_USE,
        token: TOKEN,
        datasets: [
          { datasetId: D1, weight: 1 },
          { datasetId: D2, weight: 3 },
        ],
        model: { kind: "perUse", ratePerUnit: 7n },
      },
      {
        id: REV_SHARE,
        token: TOKEN,
        datasets: [
          { datasetId: D1, weight: 1 },
          { datasetId: D2, weight: 1 },
        ],
        model: { kind: "revenueShare", bps: 1000 },
      },
      { id: ONE_TIME, token: TOKEN, datasets: [{ datasetId: D3, weight: 1 }], model: { kind: "oneTime", fee: 50n } },
    ],
    previous: null,
    ...overrides,
  };
}

/** Runs ingest on a parsed input, optionally altered after parsing (to reach the engine's own guards). */
function ingest(overrides: Partial<SettlementInputRaw>, alter: (input: SettlementInput) => void = () => {}) {
  const input = parse(raw(overrides));
  alter(input);
  const epoch = prepareEpoch(input);
  return { epoch, ...ingestFacts(epoch) };
}

function licenseOf(epoch: ReturnType<typeof prepareEpoch>, id: string) {
  const i = epoch.licenseIndex.get(id as `0x${string}`);
  if (i === undefined) throw new Error(`test fixture: no license ${id}`);
  return epoch.licenses[i];
}

/** The settlement refusal `fn` throws, as { code, message }. */
function refusalOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof SettlementError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error("expected a SettlementError, nothing was thrown");
}

describe("settlement/ingest", () => {
  it("emptyRejections names every reason with a zero count and sum", () => {
    const zero = { count: 0, sum: 0n };
    expect(emptyRejections()).to.deep.equal({
      depositUnknownLicense: zero,
      depositTokenMismatch: zero,
      usageUnknownLicense: zero,
      usageNotPerUse: zero,
      usageDatasetNotLicensed: zero,
      usageWrongEpoch: zero,
      revenueUnknownLicense: zero,
      revenueNotRevenueShare: zero,
      revenueWrongEpoch: zero,
      revenueDatasetNotLicensed: zero,
      creditUnknownLicense: zero,
      creditNotUsageModel: zero,
      creditDatasetNotLicensed: zero,
    });
  });

  it("sums a license's deposits, counts them and keeps the latest confirmation time", () => {
    const { epoch, rejected, held } = ingest({
      deposits: [
        { licenseId: PER_USE, token: TOKEN, amount: "40", at: 1500 },
        { licenseId: PER_USE, token: TOKEN, amount: "2", at: 1200 },
        { licenseId: ONE_TIME, token: TOKEN, amount: "50" },
      ],
    });
    const perUse = licenseOf(epoch, PER_USE);
    expect([perUse.newDeposits, perUse.depositCount, perUse.lastDepositAt]).to.deep.equal([42n, 2, 1500]);
    const oneTime = licenseOf(epoch, ONE_TIME);
    expect([oneTime.newDeposits, oneTime.depositCount, oneTime.lastDepositAt]).to.deep.equal([50n, 1, undefined]);
    expect(rejected).to.deep.equal(emptyRejections());
    expect(held).to.deep.equal([]);
  });

  it("holds a deposit to an unknown license or in the wrong token, stamped with the window end when it has no time", () => {
    const { epoch, rejected, held } = ingest({
      deposits: [
        { licenseId: UNKNOWN, token: TOKEN, amount: "9", payer: PAYER, at: 1100 },
        { licenseId: PER_USE, token: OTHER_TOKEN, amount: "11", payer: PAYER },
      ],
    });
    expect(held).to.deep.equal([
      { licenseId: UNKNOWN, token: TOKEN, amount: 9n, payer: PAYER, at: 1100 },
      { licenseId: PER_USE, token: OTHER_TOKEN, amount: 11n, payer: PAYER, at: 2000 },
    ]);
    expect(rejected).to.deep.equal({
      ...emptyRejections(),
      depositUnknownLicense: { count: 1, sum: 9n },
      depositTokenMismatch: { count: 1, sum: 11n },
    });
    expect(licenseOf(epoch, PER_USE).newDeposits).to.equal(0n);
  });

  it("charges per-use usage at rate × units per bundle position", () => {
    const { epoch, rejected } = ingest({
      usage: [
        { licenseId: PER_USE, datasetId: D2, epoch: 3, units: "5" },
        { licenseId: PER_USE, datasetId: D1, epoch: 3, units: "3" },
      ],
    });
    expect(licenseOf(epoch, PER_USE).usageDue).to.deep.equal([21n, 35n]);
    expect(rejected).to.deep.equal(emptyRejections());
  });

  it("sets aside usage of an unknown license, a non-per-use license, another epoch and an unlicensed dataset, by units", () => {
    const { epoch, rejected } = ingest({
      usage: [
        { licenseId: UNKNOWN, datasetId: D1, epoch: 3, units: "1" },
        { licenseId: REV_SHARE, datasetId: D1, epoch: 3, units: "2" },
        { licenseId: PER_USE, datasetId: D1, epoch: 2, units: "4" },
        { licenseId: PER_USE, datasetId: D3, epoch: 3, units: "8" },
        { licenseId: PER_USE, datasetId: D1, epoch: 3, units: "16" },
      ],
    });
    expect(rejected).to.deep.equal({
      ...emptyRejections(),
      usageUnknownLicense: { count: 1, sum: 1n },
      usageNotPerUse: { count: 1, sum: 2n },
      usageWrongEpoch: { count: 1, sum: 4n },
      usageDatasetNotLicensed: { count: 1, sum: 8n },
    });
    expect(licenseOf(epoch, PER_USE).usageDue).to.deep.equal([112n, 0n]);
  });

  it("refuses a duplicate usage aggregate (summing it would charge the buyer twice)", () => {
    const usage = [
      { licenseId: PER_USE, datasetId: D1, epoch: 3, units: "5" },
      { licenseId: PER_USE, datasetId: D1, epoch: 3, units: "5" },
    ];
    expect(refusalOf(() => ingest({ usage }))).to.deep.equal({
      code: "SETTLEMENT_INVALID_INPUT",
      message: `duplicate usage aggregate for license ${PER_USE}, dataset ${D1}, epoch 3`,
    });
  });

  it("keeps usage per share period on a dataset whose shares change, and refuses a duplicate in one period", () => {
    const changes = [{ at: 1500, contributors: [{ account: addr(4), bps: 10000 }] }];
    const datasets = [
      { id: D1, contributors: [{ account: addr(1), bps: 10000 }], changes },
      { id: D2, contributors: [{ account: addr(2), bps: 10000 }] },
      { id: D3, contributors: [{ account: addr(3), bps: 10000 }] },
    ];
    const { epoch } = ingest({
      datasets,
      usage: [
        { licenseId: PER_USE, datasetId: D1, epoch: 3, units: "2", at: 1200 },
        { licenseId: PER_USE, datasetId: D1, epoch: 3, units: "3", at: 1600 },
      ],
    });
    const pl = licenseOf(epoch, PER_USE);
    expect(pl.usageDue).to.deep.equal([35n, 0n]);
    expect(pl.usageTimed).to.deep.equal([
      new Map([
        [0, 14n],
        [1, 21n],
      ]),
      undefined,
    ]);

    const twice = [
      { licenseId: PER_USE, datasetId: D1, epoch: 3, units: "2", at: 1600 },
      { licenseId: PER_USE, datasetId: D1, epoch: 3, units: "3", at: 1700 },
    ];
    expect(refusalOf(() => ingest({ datasets, usage: twice }))).to.deep.equal({
      code: "SETTLEMENT_INVALID_INPUT",
      message: `duplicate usage aggregate for license ${PER_USE}, dataset ${D1}, epoch 3, share period 1`,
    });
  });

  it("adds revenue for the whole bundle, or per dataset when a report names one, and sets aside what does not apply", () => {
    const { epoch, rejected } = ingest({
      revenue: [
        { licenseId: REV_SHARE, epoch: 3, revenue: "1000" },
        { licenseId: REV_SHARE, epoch: 3, revenue: "500" },
        { licenseId: REV_SHARE, epoch: 3, revenue: "300", datasetId: D2 },
        { licenseId: REV_SHARE, epoch: 3, revenue: "7", datasetId: D3 },
        { licenseId: REV_SHARE, epoch: 2, revenue: "60" },
        { licenseId: PER_USE, epoch: 3, revenue: "20" },
        { licenseId: UNKNOWN, epoch: 3, revenue: "10" },
      ],
    });
    const pl = licenseOf(epoch, REV_SHARE);
    expect(pl.revenue).to.equal(1500n);
    expect(pl.revenueByDataset).to.deep.equal(new Map([[1, new Map([[0, 300n]])]]));
    expect(rejected).to.deep.equal({
      ...emptyRejections(),
      revenueUnknownLicense: { count: 1, sum: 10n },
      revenueNotRevenueShare: { count: 1, sum: 20n },
      revenueWrongEpoch: { count: 1, sum: 60n },
      revenueDatasetNotLicensed: { count: 1, sum: 7n },
    });
  });

  it("collects credits per license and dataset, and sets aside credits that cannot apply", () => {
    const { epoch, credits, rejected } = ingest({
      credits: [
        { licenseId: PER_USE, datasetId: D2, amount: "4" },
        { licenseId: PER_USE, datasetId: D2, amount: "6" },
        { licenseId: REV_SHARE, datasetId: D1, amount: "3" },
        { licenseId: UNKNOWN, datasetId: D1, amount: "1" },
        { licenseId: ONE_TIME, datasetId: D3, amount: "2" },
        { licenseId: PER_USE, datasetId: D3, amount: "5" },
      ],
    });
    const perUse = epoch.licenseIndex.get(PER_USE);
    const revShare = epoch.licenseIndex.get(REV_SHARE);
    expect(credits).to.deep.equal(
      new Map([
        [perUse, new Map([[D2, 10n]])],
        [revShare, new Map([[D1, 3n]])],
      ]),
    );
    expect(rejected).to.deep.equal({
      ...emptyRejections(),
      creditUnknownLicense: { count: 1, sum: 1n },
      creditNotUsageModel: { count: 1, sum: 2n },
      creditDatasetNotLicensed: { count: 1, sum: 5n },
    });
  });

  describe("refuses input that bypassed the schema", () => {
    it("a negative deposit, usage or revenue amount", () => {
      const deposit = refusalOf(() =>
        ingest({ deposits: [{ licenseId: PER_USE, token: TOKEN, amount: "1" }] }, (i) => {
          i.deposits[0].amount = -1n;
        }),
      );
      const usage = refusalOf(() =>
        ingest({ usage: [{ licenseId: PER_USE, datasetId: D1, epoch: 3, units: "1" }] }, (i) => {
          i.usage[0].units = -1n;
        }),
      );
      const revenue = refusalOf(() =>
        ingest({ revenue: [{ licenseId: REV_SHARE, epoch: 3, revenue: "1" }] }, (i) => {
          i.revenue[0].revenue = -1n;
        }),
      );
      expect([deposit, usage, revenue]).to.deep.equal([
        { code: "SETTLEMENT_INVALID_INPUT", message: "deposit amounts must be non-negative" },
        { code: "SETTLEMENT_INVALID_INPUT", message: "usage units must be non-negative" },
        { code: "SETTLEMENT_INVALID_INPUT", message: "revenue must be non-negative" },
      ]);
    });

    it("non-canonical (upper-case) ids and tokens", () => {
      const upper = (h: string) => `0x${h.slice(2).toUpperCase()}` as `0x${string}`;
      const deposit = refusalOf(() =>
        ingest({ deposits: [{ licenseId: PER_USE, token: TOKEN, amount: "1" }] }, (i) => {
          i.deposits[0].token = upper("0x00000000000000000000000000000000000000ab");
        }),
      );
      const usageLicense = refusalOf(() =>
        ingest({ usage: [{ licenseId: UNKNOWN, datasetId: D1, epoch: 3, units: "1" }] }, (i) => {
          i.usage[0].licenseId = upper(id32(0xabc));
        }),
      );
      const usageDataset = refusalOf(() =>
        ingest({ usage: [{ licenseId: PER_USE, datasetId: D1, epoch: 3, units: "1" }] }, (i) => {
          i.usage[0].datasetId = upper(id32(0xabc));
        }),
      );
      const revenueLicense = refusalOf(() =>
        ingest({ revenue: [{ licenseId: UNKNOWN, epoch: 3, revenue: "1" }] }, (i) => {
          i.revenue[0].licenseId = upper(id32(0xabc));
        }),
      );
      expect([deposit, usageLicense, usageDataset, revenueLicense]).to.deep.equal([
        {
          code: "SETTLEMENT_INVALID_INPUT",
          message: "deposit ids must be canonical lowercase (parse with SettlementInputSchema)",
        },
        { code: "SETTLEMENT_INVALID_INPUT", message: "usage license ids must be canonical lowercase bytes32" },
        { code: "SETTLEMENT_INVALID_INPUT", message: "usage dataset ids must be canonical lowercase bytes32" },
        { code: "SETTLEMENT_INVALID_INPUT", message: "revenue license ids must be canonical lowercase bytes32" },
      ]);
    });
  });
});
