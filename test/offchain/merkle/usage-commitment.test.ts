/**
 * Usage commitments: every record's receipt verifies against the epoch's root and any tampering fails; a receipt
 * carries nothing of other records and has the same size whatever the number of other records.
 */
import crypto from "node:crypto";
import { expect } from "chai";
import type { Hex } from "viem";
import {
  buildUsageCommitment,
  USAGE_MIN_DEPTH,
  usageSalt,
  verifyUsageReceipt,
  type UsageRecord,
} from "../../../offchain/merkle/usage-commitment";

const b32 = () => `0x${crypto.randomBytes(32).toString("hex")}` as Hex;
type EventRecord = Extract<UsageRecord, { kind: "event" }>;
const events = (n: number, licenseId = b32(), datasetId = b32()): EventRecord[] =>
  Array.from({ length: n }, (_, i) => ({ kind: "event", licenseId, datasetId, eventRef: b32(), units: String(i + 1) }));

describe("offchain/merkle/usage-commitment", function () {
  this.timeout(60_000);

  it("every record of random epochs (events and aggregates) has a receipt that verifies against the root", async () => {
    for (const n of [1, 5, 200]) {
      const records: UsageRecord[] = [
        ...events(n),
        { kind: "aggregate", licenseId: b32(), datasetId: b32(), events: String(n), units: String(n * 3) },
      ];
      const secret = b32();
      const c = await buildUsageCommitment({ epoch: 7, secret, records });
      expect(c.depth).to.equal(USAGE_MIN_DEPTH);
      for (let i = 0; i < records.length; i++) {
        const r = c.receipt(i);
        expect(r.record).to.deep.equal(records[i]);
        // The builder's templated fast path gives the salts and leaves of the viem reference encodings.
        expect(r.salt).to.equal(usageSalt(secret, records[i]));
        expect(verifyUsageReceipt(JSON.parse(JSON.stringify(r)), c.root)).to.deep.equal({ ok: true });
      }
    }
  });

  it("a receipt with its units, salt, epoch, a proof hash or the root changed fails", async () => {
    const records = events(20);
    const c = await buildUsageCommitment({ epoch: 3, secret: b32(), records });
    const r = c.receipt(4);
    const bad = [
      { ...r, record: { ...r.record, units: String(BigInt(r.record.units) + 1n) } },
      { ...r, salt: b32() },
      { ...r, epoch: 4 },
      { ...r, proof: [b32(), ...r.proof.slice(1)] },
      { ...r, proof: r.proof.slice(1) },
    ];
    for (const x of bad) expect(verifyUsageReceipt(x, c.root).ok).to.equal(false);
    expect(verifyUsageReceipt(r, b32())).to.deep.include({ ok: false });
    expect(verifyUsageReceipt({ ...r, extra: 1 }, c.root).ok).to.equal(false);
  });

  it("a receipt contains no other record's identifiers and has the same size with 3 or 3,000 other events", async () => {
    const small = events(4);
    const large = events(3001);
    const [a, b] = await Promise.all([
      buildUsageCommitment({ epoch: 1, secret: b32(), records: small }),
      buildUsageCommitment({ epoch: 1, secret: b32(), records: large }),
    ]);
    const ra = JSON.stringify(a.receipt(0));
    const rb = JSON.stringify(b.receipt(0));
    expect(ra.length).to.equal(rb.length);
    expect(a.receipt(0).proof.length).to.equal(USAGE_MIN_DEPTH);
    expect(b.receipt(0).proof.length).to.equal(USAGE_MIN_DEPTH);
    for (const other of large.slice(1)) expect(rb).to.not.contain(other.eventRef.slice(2));
    for (const other of small.slice(1)) expect(ra).to.not.contain(other.eventRef.slice(2));
  });

  it("an epoch that billed nothing commits to padding only; a malformed or repeated record is refused", async () => {
    const empty = await buildUsageCommitment({ epoch: 2, secret: b32(), records: [] });
    expect(empty.paddedCount).to.equal(2 ** USAGE_MIN_DEPTH);
    const [one] = events(1);
    let refused: unknown;
    await buildUsageCommitment({ epoch: 2, secret: b32(), records: [one, { ...one }] }).catch((e) => (refused = e));
    expect(refused).to.include({ code: "MERKLE_DUPLICATE_LEAF" });
    refused = undefined;
    await buildUsageCommitment({ epoch: 2, secret: b32(), records: [{ ...one, units: "01" }] }).catch(
      (e) => (refused = e),
    );
    expect(refused).to.include({ code: "MERKLE_INVALID_LEAF" });
  });

  it("at 2^16 + 1 records the tree deepens to 17 levels and every sampled receipt still verifies", async () => {
    const records = events(2 ** 16 + 1);
    const c = await buildUsageCommitment({ epoch: 9, secret: b32(), records });
    expect(c.depth).to.equal(17);
    for (const i of [0, 1, 40_000, 2 ** 16]) {
      expect(c.receipt(i).proof.length).to.equal(17);
      expect(verifyUsageReceipt(c.receipt(i), c.root)).to.deep.equal({ ok: true });
    }
  });

  it("the same records under another epoch secret give another root (leaves cannot be guessed from usage)", async () => {
    const records = events(3);
    const secret = b32();
    const one = await buildUsageCommitment({ epoch: 1, secret, records });
    const same = await buildUsageCommitment({ epoch: 1, secret, records });
    const other = await buildUsageCommitment({ epoch: 1, secret: b32(), records });
    expect(same.root).to.equal(one.root);
    expect(other.root).to.not.equal(one.root);
  });
});
