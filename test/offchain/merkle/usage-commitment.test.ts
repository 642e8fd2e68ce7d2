/**
 * Usage commitments: every record's receipt verifies against the epoch's root and any tampering fails; a receipt
 * carries nothing of other records and has the same size whatever the number of other records; the ingestion fast
 * path (`usageEventCommitments`) is byte-identical to viem's encodings and the tree to the serial tree.
 */
import crypto from "node:crypto";
import { availableParallelism } from "node:os";
import { expect } from "chai";
import { bytesToHex, type Hex } from "viem";
import { buildHashedLeafTree } from "../../../offchain/merkle/parallel-tree";
import { buildMerkleTree } from "../../../offchain/merkle/tree";
import {
  buildUsageCommitment,
  buildUsageTree,
  USAGE_MIN_DEPTH,
  usageEventCommitments,
  usageEventLeaf,
  usageEventRef,
  usageSalt,
  verifyUsageReceipt,
  type UsageRecord,
} from "../../../offchain/merkle/usage-commitment";

const b32 = () => `0x${crypto.randomBytes(32).toString("hex")}` as Hex;
type EventRecord = Extract<UsageRecord, { kind: "event" }>;
const events = (n: number, licenseId = b32(), datasetId = b32()): EventRecord[] =>
  Array.from({ length: n }, (_, i) => ({ kind: "event", licenseId, datasetId, eventRef: b32(), units: String(i + 1) }));
/** Each event record's stored salt (random, as ingestion draws it); null for aggregates. */
const saltsOf = (records: readonly UsageRecord[]) => records.map((r) => (r.kind === "event" ? b32() : null));
const commit = (epoch: number, secret: Hex, records: readonly UsageRecord[], salts = saltsOf(records)) =>
  buildUsageCommitment({ epoch, secret, records, salts });

describe("offchain/merkle/usage-commitment", function () {
  this.timeout(60_000);

  it("every record of random epochs (events and aggregates) has a receipt that verifies against the root", async () => {
    for (const n of [1, 5, 200]) {
      const records: UsageRecord[] = [
        ...events(n),
        { kind: "aggregate", licenseId: b32(), datasetId: b32(), events: String(n), units: String(n * 3) },
      ];
      const secret = b32();
      const salts = saltsOf(records);
      const c = await commit(7, secret, records, salts);
      expect(c.depth).to.equal(USAGE_MIN_DEPTH);
      for (let i = 0; i < records.length; i++) {
        const r = c.receipt(i);
        const rec = records[i];
        expect(r.record).to.deep.equal(rec);
        // An event's receipt carries its stored salt; an aggregate's the salt derived from the epoch secret.
        expect(r.salt).to.equal(rec.kind === "event" ? salts[i] : usageSalt(secret, rec));
        expect(verifyUsageReceipt(JSON.parse(JSON.stringify(r)), c.root)).to.deep.equal({ ok: true });
      }
    }
  });

  it("a receipt with its units, event ref, salt, a proof hash or the root changed fails; an aggregate's epoch too", async () => {
    const records: UsageRecord[] = [
      ...events(20),
      { kind: "aggregate", licenseId: b32(), datasetId: b32(), events: "20", units: "210" },
    ];
    const c = await commit(3, b32(), records);
    const r = c.receipt(4);
    const bad = [
      { ...r, record: { ...r.record, units: String(BigInt(r.record.units) + 1n) } },
      { ...r, record: { ...r.record, eventRef: b32() } },
      { ...r, salt: b32() },
      { ...r, proof: [b32(), ...r.proof.slice(1)] },
      { ...r, proof: r.proof.slice(1) },
    ];
    for (const x of bad) expect(verifyUsageReceipt(x, c.root).ok).to.equal(false);
    expect(verifyUsageReceipt(r, b32())).to.deep.include({ ok: false });
    expect(verifyUsageReceipt({ ...r, extra: 1 }, c.root).ok).to.equal(false);
    // An aggregate leaf holds its epoch; an event leaf does not (its root is bound to the epoch by the file header,
    // which the CLI and the auditor page compare with the receipt's epoch).
    const agg = c.receipt(20);
    expect(verifyUsageReceipt(agg, c.root)).to.deep.equal({ ok: true });
    expect(verifyUsageReceipt({ ...agg, epoch: 4 }, c.root).ok).to.equal(false);
  });

  it("a receipt contains no other record's identifiers and has the same size with 3 or 3,000 other events", async () => {
    const small = events(4);
    const large = events(3001);
    const [a, b] = await Promise.all([commit(1, b32(), small), commit(1, b32(), large)]);
    const ra = JSON.stringify(a.receipt(0));
    const rb = JSON.stringify(b.receipt(0));
    expect(ra.length).to.equal(rb.length);
    expect(a.receipt(0).proof.length).to.equal(USAGE_MIN_DEPTH);
    expect(b.receipt(0).proof.length).to.equal(USAGE_MIN_DEPTH);
    for (const other of large.slice(1)) expect(rb).to.not.contain(other.eventRef.slice(2));
    for (const other of small.slice(1)) expect(ra).to.not.contain(other.eventRef.slice(2));
  });

  it("an epoch that billed nothing commits to padding only; a malformed or repeated record is refused", async () => {
    const empty = await commit(2, b32(), []);
    expect(empty.paddedCount).to.equal(2 ** USAGE_MIN_DEPTH);
    const [one] = events(1);
    let refused: unknown;
    await commit(2, b32(), [one, { ...one }]).catch((e) => (refused = e));
    expect(refused).to.include({ code: "MERKLE_DUPLICATE_LEAF" });
    refused = undefined;
    await commit(2, b32(), [{ ...one, units: "01" }]).catch((e) => (refused = e));
    expect(refused).to.include({ code: "MERKLE_INVALID_LEAF" });
    refused = undefined;
    await commit(2, b32(), [one], [null]).catch((e) => (refused = e));
    expect(refused).to.include({ code: "MERKLE_INVALID_LEAF" });
    // The same stored leaf twice (one event counted twice) is refused by the tree builder.
    const leaf = crypto.randomBytes(32);
    refused = undefined;
    await buildUsageTree({ epoch: 2, secret: b32(), eventLeaves: Buffer.concat([leaf, leaf]), aggregates: [] }).catch(
      (e) => (refused = e),
    );
    expect(refused).to.include({ code: "MERKLE_DUPLICATE_LEAF" });
  });

  it("at 2^16 + 1 records the tree deepens to 17 levels and every sampled receipt still verifies", async () => {
    const records = events(2 ** 16 + 1);
    const c = await commit(9, b32(), records);
    expect(c.depth).to.equal(17);
    for (const i of [0, 1, 40_000, 2 ** 16]) {
      expect(c.receipt(i).proof.length).to.equal(17);
      expect(verifyUsageReceipt(c.receipt(i), c.root)).to.deep.equal({ ok: true });
    }
  });

  it("the same records under another epoch secret give another root (leaves cannot be guessed from usage)", async () => {
    const records = events(3);
    const secret = b32();
    const salts = saltsOf(records);
    const one = await commit(1, secret, records, salts);
    const same = await commit(1, secret, records, salts);
    const other = await commit(1, b32(), records, salts);
    const resalted = await commit(1, secret, records);
    expect(same.root).to.equal(one.root);
    expect(other.root).to.not.equal(one.root);
    expect(resalted.root).to.not.equal(one.root);
  });

  it("ingestion's fast path gives viem's usageEventRef and usageEventLeaf byte for byte, with fresh random salts", async () => {
    const licenseId = b32();
    const fields = [
      { licenseId, datasetId: b32(), idempotencyKey: "k-1", units: "1" },
      { licenseId, datasetId: b32(), idempotencyKey: "clé ünïcode ✓ 🙂", units: "0" },
      { licenseId, datasetId: b32(), idempotencyKey: "x".repeat(200), units: `${"9".repeat(77)}` },
      ...Array.from({ length: 300 }, (_, i) => ({
        licenseId,
        datasetId: b32(),
        idempotencyKey: `e-${i}`,
        units: `${i * 37}`,
      })),
    ];
    const { salts, leaves } = await usageEventCommitments(fields);
    expect(salts.length).to.equal(32 * fields.length);
    expect(leaves.length).to.equal(32 * fields.length);
    fields.forEach((f, i) => {
      const salt = bytesToHex(salts.subarray(32 * i, 32 * i + 32));
      const record = {
        kind: "event" as const,
        licenseId,
        datasetId: f.datasetId,
        eventRef: usageEventRef(licenseId, f.idempotencyKey),
        units: f.units,
      };
      expect(bytesToHex(leaves.subarray(32 * i, 32 * i + 32)), `event ${i}`).to.equal(usageEventLeaf(salt, record));
    });
    // Salts are fresh per event and per call: no two equal among these 2 × 303.
    const again = await usageEventCommitments(fields);
    const all = new Set<string>();
    for (const s of [salts, again.salts])
      for (let i = 0; i < fields.length; i++) all.add(Buffer.from(s.subarray(32 * i, 32 * i + 32)).toString("hex"));
    expect(all.size).to.equal(2 * fields.length);
    let refused: unknown;
    await usageEventCommitments([{ ...fields[0], units: "01" }]).catch((e) => (refused = e));
    expect(refused).to.include({ code: "MERKLE_INVALID_LEAF" });
  });

  it("the two-thread tree over stored leaves is the serial tree, layer for layer", async function () {
    // With one CPU the function builds serially and this would compare the serial tree with itself.
    if (availableParallelism() < 2) this.skip();
    for (const n of [2 ** 16, 2 ** 17 + 3]) {
      const leaves = new Uint8Array(new SharedArrayBuffer(32 * n));
      leaves.set(crypto.randomBytes(32 * n));
      const serial = await buildMerkleTree(new Uint8Array(leaves));
      const parallel = await buildHashedLeafTree(leaves, { parallelThreshold: 2 });
      expect(parallel.root).to.equal(serial.root);
      expect(parallel.layers.length).to.equal(serial.layers.length);
      parallel.layers.forEach((layer, k) => expect(Buffer.compare(layer, serial.layers[k]), `layer ${k}`).to.equal(0));
      expect(parallel.proof(n - 1)).to.deep.equal(serial.proof(n - 1));
    }
  });
});
