import { expect } from "chai";
import {
  allocate,
  SettlementError,
  SettlementInputSchema,
  type SettlementInputRaw,
} from "../../../offchain/settlement";
import { addr, id32, parse, TOKEN, TREASURY } from "./fixtures";

const D1 = id32(1);
const L1 = id32(0x101);

function raw(overrides: Partial<SettlementInputRaw> = {}): SettlementInputRaw {
  return {
    window: { epoch: 1, start: 0, end: 100 },
    platformFee: { bps: 0, treasury: TREASURY },
    datasets: [{ id: D1, contributors: [{ account: addr(1), bps: 10000 }] }],
    licenses: [
      { id: L1, token: TOKEN, datasets: [{ datasetId: D1, weight: 1 }], model: { kind: "perUse", ratePerUnit: 2n } },
    ],
    previous: null,
    ...overrides,
  };
}

/** The message of the last refusal codeOf saw: every rule shares a code, the message says which rule fired. */
let refusal = "";

function codeOf(fn: () => unknown): string | undefined {
  refusal = "";
  try {
    fn();
  } catch (e) {
    if (e instanceof SettlementError) {
      refusal = e.message;
      return e.code;
    }
    throw e;
  }
  return undefined;
}

describe("settlement/validate", () => {
  it("normalises checksummed addresses and upper-case ids to lowercase, and decimal strings to bigint", () => {
    const parsed = SettlementInputSchema.parse(
      raw({
        platformFee: { bps: 0, treasury: "0x52908400098527886E0F7030069857D2E4169EE7" },
        deposits: [
          { licenseId: L1.toUpperCase().replace("0X", "0x"), token: TOKEN, amount: "12345678901234567890123" },
        ],
      }),
    );
    expect(parsed.platformFee.treasury).to.equal("0x52908400098527886e0f7030069857d2e4169ee7");
    expect(parsed.deposits[0].licenseId).to.equal(L1);
    expect(parsed.deposits[0].amount).to.equal(12345678901234567890123n);
  });

  it("schema rejects a bad checksum, a negative or fractional amount, and non-integer bps", () => {
    expect(() =>
      SettlementInputSchema.parse(
        raw({ platformFee: { bps: 0, treasury: "0x52908400098527886E0F7030069857D2E4169Ee7" } }),
      ),
    ).to.throw();
    expect(() =>
      SettlementInputSchema.parse(raw({ deposits: [{ licenseId: L1, token: TOKEN, amount: "-1" }] })),
    ).to.throw();
    expect(() =>
      SettlementInputSchema.parse(raw({ deposits: [{ licenseId: L1, token: TOKEN, amount: "1.5" }] })),
    ).to.throw();
    expect(() => SettlementInputSchema.parse(raw({ platformFee: { bps: 2.5, treasury: TREASURY } }))).to.throw();
  });

  it("skips and reports a dataset whose contributor shares do not sum to 10000 bps (and the licenses on it)", () => {
    const input = parse(
      raw({
        datasets: [
          {
            id: D1,
            contributors: [
              { account: addr(1), bps: 5000 },
              { account: addr(2), bps: 4999 },
            ],
          },
        ],
      }),
    );
    const result = allocate(input);
    expect(result.skipped.datasets).to.deep.equal([
      { id: D1, reason: "sharesNotTenThousand", detail: "shares in effect at the window's start" },
    ]);
    expect(result.skipped.licenses).to.deep.equal([{ id: L1, reason: "datasetSkipped" }]);
    expect(result.report.skipped).to.deep.equal({ datasets: 1, licenses: 1 });
  });

  it("skips a license on an unknown dataset; refuses duplicate ids and a duplicate usage aggregate", () => {
    const unknown = allocate(
      parse(
        raw({
          licenses: [
            {
              id: L1,
              token: TOKEN,
              datasets: [{ datasetId: id32(9), weight: 1 }],
              model: { kind: "oneTime", fee: 1n },
            },
          ],
          deposits: [{ licenseId: L1, token: TOKEN, amount: 1n }],
        }),
      ),
    );
    expect(unknown.skipped.licenses).to.deep.equal([{ id: L1, reason: "unknownDataset" }]);
    // Its deposit is kept for it (escrow), nothing is recognized.
    expect(unknown.state.licenses[0]).to.deep.include({ deposited: 1n, recognized: 0n, refunded: 0n });
    const dup = raw();
    expect(codeOf(() => allocate(parse({ ...dup, datasets: [...dup.datasets, ...dup.datasets] })))).to.equal(
      "SETTLEMENT_INVALID_INPUT",
    );
    expect(refusal).to.equal(`duplicate dataset ${D1}`);
    const usage = { licenseId: L1, datasetId: D1, epoch: 1, units: 1n };
    expect(codeOf(() => allocate(parse(raw({ usage: [usage, usage] }))))).to.equal("SETTLEMENT_INVALID_INPUT");
    expect(refusal).to.equal(`duplicate usage aggregate for license ${L1}, dataset ${D1}, epoch 1`);
  });

  it("refuses input that was not normalised (bypassing the schema)", () => {
    const input = parse(raw());
    input.datasets[0].contributors[0].account = "0x52908400098527886E0F7030069857D2E4169EE7";
    expect(codeOf(() => allocate(input))).to.equal("SETTLEMENT_INVALID_INPUT");
    expect(refusal).to.match(/^contributor of dataset 0x[0-9a-f]{64} is not a canonical lowercase address/);
  });

  it("refuses a previous state that does not chain to this epoch (numbers may skip a vetoed epoch, time may not)", () => {
    const first = allocate(parse(raw()));
    expect(
      codeOf(() => allocate(parse(raw({ window: { epoch: 1, start: 100, end: 200 }, previous: first.state })))),
    ).to.equal("SETTLEMENT_STATE_MISMATCH");
    expect(refusal).to.equal("epoch 1 [100, 200) does not follow previous epoch 1 ending at 100");
    expect(
      codeOf(() => allocate(parse(raw({ window: { epoch: 3, start: 100, end: 200 }, previous: first.state })))),
    ).to.equal(undefined);
    expect(
      codeOf(() => allocate(parse(raw({ window: { epoch: 2, start: 101, end: 200 }, previous: first.state })))),
    ).to.equal("SETTLEMENT_STATE_MISMATCH");
    expect(refusal).to.equal("epoch 2 [101, 200) does not follow previous epoch 1 ending at 100");
    expect(
      codeOf(() => allocate(parse(raw({ window: { epoch: 2, start: 100, end: 200 }, previous: first.state })))),
    ).to.equal(undefined);
  });

  it("refuses the zero address as treasury, and skips a dataset naming the zero address, the splitter or a token", () => {
    const zero = "0x0000000000000000000000000000000000000000";
    const splitter = addr(0x5111);
    for (const bad of [zero, splitter, TOKEN]) {
      const result = allocate(
        parse(
          raw({
            splitter,
            datasets: [
              {
                id: D1,
                contributors: [
                  { account: addr(1), bps: 5000 },
                  { account: bad, bps: 5000 },
                ],
              },
            ],
          }),
        ),
      );
      expect(result.skipped.datasets.map((d) => d.reason)).to.deep.equal(["invalidContributor"]);
      expect(result.allocations.map((a) => a.account)).to.not.include(bad);
    }
    expect(codeOf(() => allocate(parse(raw({ platformFee: { bps: 1, treasury: zero } }))))).to.equal(
      "SETTLEMENT_INVALID_INPUT",
    );
    expect(refusal).to.equal("treasury is the zero address");
  });

  it("accepts the zero address as treasury when the platform fee is 0 bps: no treasury leaf exists", () => {
    const zero = "0x0000000000000000000000000000000000000000";
    const result = allocate(parse(raw({ platformFee: { bps: 0, treasury: zero } })));
    expect(result.allocations.map((a) => a.account)).to.not.include(zero);
  });

  it("refuses license terms edited after recognition (one-time fee, subscription fee)", () => {
    const oneTime = (fee: bigint) => [
      { id: L1, token: TOKEN, datasets: [{ datasetId: D1, weight: 1 }], model: { kind: "oneTime" as const, fee } },
    ];
    const first = allocate(
      parse(raw({ licenses: oneTime(100n), deposits: [{ licenseId: L1, token: TOKEN, amount: 100n }] })),
    );
    const next = { window: { epoch: 2, start: 100, end: 200 }, previous: first.state };
    expect(codeOf(() => allocate(parse(raw({ ...next, licenses: oneTime(90n) }))))).to.equal(
      "SETTLEMENT_STATE_MISMATCH",
    );
    expect(refusal).to.equal("one-time fee 90 contradicts 100 already recognized");
    expect(codeOf(() => allocate(parse(raw({ ...next, licenses: oneTime(100n) }))))).to.equal(undefined);

    const sub = (fee: bigint) => [
      {
        id: L1,
        token: TOKEN,
        datasets: [{ datasetId: D1, weight: 1 }],
        model: { kind: "subscription" as const, feePerPeriod: fee, periodSeconds: 100, start: 0 },
      },
    ];
    const s1 = allocate(parse(raw({ licenses: sub(100n), deposits: [{ licenseId: L1, token: TOKEN, amount: 100n }] }))); // 100 recognized by t = 100
    expect(
      codeOf(() =>
        allocate(parse(raw({ window: { epoch: 2, start: 100, end: 150 }, previous: s1.state, licenses: sub(50n) }))),
      ),
    ).to.equal("SETTLEMENT_STATE_MISMATCH");
    expect(refusal).to.equal(`license ${L1}: subscription terms give 75 to date, less than 100 already recognized`);
  });

  it("sets aside rows that do not apply and counts them by reason, allocating nothing for them", () => {
    const other = addr(0x71);
    const result = allocate(
      parse(
        raw({
          deposits: [
            { licenseId: L1, token: TOKEN, amount: 100n },
            { licenseId: L1, token: other, amount: 7n },
            { licenseId: id32(0x999), token: TOKEN, amount: 5n },
          ],
          usage: [
            { licenseId: L1, datasetId: D1, epoch: 1, units: 3n },
            { licenseId: L1, datasetId: D1, epoch: 2, units: 4n },
            { licenseId: L1, datasetId: id32(2), epoch: 1, units: 6n },
            { licenseId: id32(0x999), datasetId: D1, epoch: 1, units: 8n },
          ],
          revenue: [{ licenseId: L1, epoch: 1, revenue: 50n }],
        }),
      ),
    );
    expect(result.totals.find((t) => t.token === TOKEN)?.amount).to.equal(6n); // 3 units × 2
    const r = result.report.rejected;
    expect(r.depositTokenMismatch).to.deep.equal({ count: 1, sum: 7n });
    expect(r.depositUnknownLicense).to.deep.equal({ count: 1, sum: 5n });
    expect(r.usageWrongEpoch).to.deep.equal({ count: 1, sum: 4n });
    expect(r.usageDatasetNotLicensed).to.deep.equal({ count: 1, sum: 6n });
    expect(r.usageUnknownLicense).to.deep.equal({ count: 1, sum: 8n });
    expect(r.revenueNotRevenueShare).to.deep.equal({ count: 1, sum: 50n });
  });
});
