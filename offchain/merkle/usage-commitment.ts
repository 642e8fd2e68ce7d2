/**
 * Usage-inclusion commitment: one epoch's billed usage (events and/or per-(license, dataset) aggregates) as a
 * Merkle root over salted commitments, so a buyer can be given a receipt proving one of its events was counted
 * in epoch N, and a creator its datasets' aggregates, without either learning anything about other parties.
 *
 * - leaf = keccak256(abi.encodePacked("tributary-usage-v1", uint32 epoch, bytes32 salt, record JSON)): one hash per
 *   record (the JSON, last, is the only variable part, so the packing is unambiguous); its preimage is longer than
 *   64 bytes and starts with the domain, so it can pass neither for an inner node nor for an allocation leaf;
 * - salt = keccak256(abi.encode(bytes32 epochSecret, "salt", record key)): the operator can re-issue any receipt
 *   from the secret, a receipt reveals only its own salt, and a leaf cannot be brute-forced from guessed usage;
 * - the tree is padded with secret-derived dummy leaves (keccak256(secret ‖ "pad" ‖ uint32 index)) to 2^max(16, ⌈log2 n⌉) and its leaves sorted by hash, so
 *   every proof has the same length for any epoch up to 65,536 records and says nothing about how many records
 *   there are or where its own record sits. The tree is offchain/merkle's tree, not a second implementation.
 *
 * The epoch close commits with it (offchain/epochs/usage-commitment.ts) and the root goes into the distribution file's
 * header (`usageRoot`), so it is anchored on-chain through contentHash.
 */
import { bytesToHex, encodeAbiParameters, encodePacked, keccak256, sha256, stringToHex, type Hex } from "viem";
import { z } from "zod";
import { MerkleError } from "./errors";
import { createKeccakHasher, processProof } from "./leaf";
import { buildMerkleTree } from "./tree";

export const USAGE_DOMAIN = "tributary-usage-v1";
export const USAGE_MIN_DEPTH = 16;

const BYTES32 = z.string().regex(/^0x[0-9a-f]{64}$/);
const DEC = z.string().regex(/^(0|[1-9][0-9]*)$/);
export const UsageRecordSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("event"), licenseId: BYTES32, datasetId: BYTES32, eventRef: BYTES32, units: DEC }),
  z.strictObject({ kind: z.literal("aggregate"), licenseId: BYTES32, datasetId: BYTES32, events: DEC, units: DEC }),
]);
/** A billed event (its reference is a hash, never the buyer's idempotency key) or a per-(license, dataset) sum. */
export type UsageRecord = z.infer<typeof UsageRecordSchema>;

export const UsageReceiptSchema = z.strictObject({
  format: z.literal("tributary-usage-receipt"),
  version: z.literal(1),
  epoch: z
    .number()
    .int()
    .nonnegative()
    .max(2 ** 32 - 1),
  root: BYTES32,
  record: UsageRecordSchema,
  salt: BYTES32,
  proof: z.array(BYTES32),
});
export type UsageReceipt = z.infer<typeof UsageReceiptSchema>;

/** The record's canonical JSON (fixed key order): the bytes its commitment hashes. */
export function canonicalRecord(r: UsageRecord): string {
  return r.kind === "event"
    ? `{"kind":"event","licenseId":"${r.licenseId}","datasetId":"${r.datasetId}","eventRef":"${r.eventRef}","units":"${r.units}"}`
    : `{"kind":"aggregate","licenseId":"${r.licenseId}","datasetId":"${r.datasetId}","events":"${r.events}","units":"${r.units}"}`;
}

const recordKey = (r: UsageRecord) =>
  r.kind === "event" ? `event:${r.eventRef}` : `aggregate:${r.licenseId}:${r.datasetId}`;

const derive = (secret: Hex, label: string, key: string): Hex =>
  keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "string" }, { type: "string" }], [secret, label, key]));

export function usageSalt(secret: Hex, record: UsageRecord): Hex {
  return derive(secret, "salt", recordKey(record));
}

export function usageLeaf(epoch: number, salt: Hex, record: UsageRecord): Hex {
  return keccak256(
    encodePacked(["string", "uint32", "bytes32", "string"], [USAGE_DOMAIN, epoch, salt, canonicalRecord(record)]),
  );
}

/**
 * A billed event's reference: SHA-256 of "<licenseId>:<idempotencyKey>" (UTF-8), which only its buyer can recompute.
 * SHA-256 rather than keccak so that the close hashes a million of them natively (node:crypto) rather than in JS;
 * see offchain/epochs/usage-commitment.ts.
 */
export function usageEventRef(licenseId: string, idempotencyKey: string): Hex {
  return sha256(stringToHex(`${licenseId.toLowerCase()}:${idempotencyKey}`));
}

export type UsageCommitment = {
  readonly epoch: number;
  readonly root: Hex;
  /** Leaves in the padded tree (a power of two ≥ 2^16). */
  readonly paddedCount: number;
  readonly depth: number;
  readonly records: readonly UsageRecord[];
  /** The receipt of `records[i]`. */
  receipt(i: number): UsageReceipt;
};

const RECORD_SHAPE = {
  id: /^0x[0-9a-f]{64}$/,
  dec: /^(0|[1-9][0-9]{0,77})$/,
};
const recordIsValid = (r: UsageRecord) =>
  RECORD_SHAPE.id.test(r.licenseId) &&
  RECORD_SHAPE.id.test(r.datasetId) &&
  RECORD_SHAPE.dec.test(r.units) &&
  (r.kind === "event" ? RECORD_SHAPE.id.test(r.eventRef) : RECORD_SHAPE.dec.test(r.events));

/**
 * viem's encodings of the salt and leaf preimages, computed once per epoch with placeholder values; per record only
 * fixed-width fields are overwritten (the record key, whose length is fixed per kind; the salt) and the JSON appended.
 * At 1M records this is the difference between ~60 s (viem per record) and ~1 s; the test suite pins the result to
 * `usageSalt` / `usageLeaf`.
 */
function preimageTemplates(epoch: number, secret: Hex) {
  const hex32 = `0x${"0".repeat(64)}` as Hex;
  const saltTemplate = (key: string) => {
    const bytes = Buffer.from(
      encodeAbiParameters([{ type: "bytes32" }, { type: "string" }, { type: "string" }], [secret, "salt", key]).slice(
        2,
      ),
      "hex",
    );
    // The key is the last dynamic value: its bytes start at the final, zero-padded 32-byte words.
    return { bytes, at: bytes.length - Math.ceil(key.length / 32) * 32 };
  };
  const prefix = Buffer.from(
    encodePacked(["string", "uint32", "bytes32"], [USAGE_DOMAIN, epoch, hex32]).slice(2),
    "hex",
  );
  // Room for the longest record JSON (two 78-digit numbers) after the prefix; the salt is its last 32 bytes.
  const leaf = Buffer.alloc(prefix.length + 512);
  prefix.copy(leaf);
  return {
    event: saltTemplate(`event:${hex32}`),
    aggregate: saltTemplate(`aggregate:${hex32}:${hex32}`),
    leaf,
    saltAt: prefix.length - 32,
    jsonAt: prefix.length,
  };
}

/** Leaf order: ascending bytes. A counting pass on the first two bytes, then insertion sort in each small bucket. */
function sortedOrder(leaves: Uint8Array, count: number): Uint32Array {
  const starts = new Uint32Array(65_537);
  for (let i = 0; i < count; i++) starts[((leaves[32 * i] << 8) | leaves[32 * i + 1]) + 1]++;
  for (let b = 1; b <= 65_536; b++) starts[b] += starts[b - 1];
  const next = starts.slice(0, 65_536);
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[next[(leaves[32 * i] << 8) | leaves[32 * i + 1]]++] = i;
  const less = (a: number, b: number) => {
    for (let k = 2; k < 32; k++) {
      const d = leaves[32 * a + k] - leaves[32 * b + k];
      if (d !== 0) return d < 0;
    }
    return false;
  };
  for (let b = 0; b < 65_536; b++) {
    for (let i = starts[b] + 1; i < starts[b + 1]; i++) {
      const x = order[i];
      let j = i - 1;
      while (j >= starts[b] && less(x, order[j])) {
        order[j + 1] = order[j];
        j--;
      }
      order[j + 1] = x;
    }
  }
  return order;
}

/**
 * Commits to `records` (each record key — event ref, or (license, dataset) — at most once; none is allowed: an
 * epoch that billed no usage commits to padding only).
 * @param secret the epoch's 32-byte secret (kept by the operator; never published).
 * @throws MerkleError MERKLE_INVALID_LEAF for a malformed record, MERKLE_DUPLICATE_LEAF for a repeated key.
 */
export async function buildUsageCommitment(p: {
  epoch: number;
  secret: Hex;
  records: readonly UsageRecord[];
}): Promise<UsageCommitment> {
  const records = p.records;
  const n = records.length;
  for (let i = 0; i < n; i++)
    if (!recordIsValid(records[i]))
      throw new MerkleError("MERKLE_INVALID_LEAF", `usage commitment: record ${i} is malformed`);
  let depth = USAGE_MIN_DEPTH;
  while (2 ** depth < n) depth++;
  const padded = 2 ** depth;
  const hasher = await createKeccakHasher();
  const t = preimageTemplates(p.epoch, p.secret);
  const leaves = new Uint8Array(padded * 32);
  const salts = new Uint8Array(n * 32);
  for (let i = 0; i < n; i++) {
    const r = records[i];
    const tpl = r.kind === "event" ? t.event : t.aggregate;
    tpl.bytes.write(recordKey(r), tpl.at, "latin1");
    hasher.init();
    hasher.update(tpl.bytes);
    const salt = hasher.digest("binary");
    salts.set(salt, 32 * i);
    t.leaf.set(salt, t.saltAt);
    const length = t.leaf.write(canonicalRecord(r), t.jsonAt, "latin1");
    hasher.init();
    hasher.update(t.leaf.subarray(0, t.jsonAt + length));
    leaves.set(hasher.digest("binary"), 32 * i);
  }
  // Dummy leaves: keccak256(secret ‖ "pad" ‖ uint32 i).
  const pad = Buffer.alloc(32 + 3 + 4);
  pad.write(p.secret.slice(2), 0, "hex");
  pad.write("pad", 32, "latin1");
  for (let i = n; i < padded; i++) {
    pad.writeUInt32BE(i, 35);
    hasher.init();
    hasher.update(pad);
    leaves.set(hasher.digest("binary"), 32 * i);
  }
  const order = sortedOrder(leaves, padded);
  const position = new Uint32Array(n);
  const flat = new Uint8Array(padded * 32);
  for (let pos = 0; pos < padded; pos++) {
    const leafIndex = order[pos];
    if (leafIndex < n) position[leafIndex] = pos;
    flat.set(leaves.subarray(32 * leafIndex, 32 * leafIndex + 32), pos * 32);
  }
  for (let pos = 1; pos < padded; pos++)
    if (Buffer.compare(flat.subarray(32 * pos - 32, 32 * pos), flat.subarray(32 * pos, 32 * pos + 32)) === 0)
      throw new MerkleError("MERKLE_DUPLICATE_LEAF", "usage commitment: a record key appears twice");
  const tree = await buildMerkleTree(flat, hasher);
  return {
    epoch: p.epoch,
    root: tree.root,
    paddedCount: padded,
    depth,
    records,
    receipt: (i) => ({
      format: "tributary-usage-receipt",
      version: 1,
      epoch: p.epoch,
      root: tree.root,
      record: records[i],
      salt: bytesToHex(salts.subarray(32 * i, 32 * i + 32)),
      proof: tree.proof(position[i]),
    }),
  };
}

/**
 * Checks a receipt (parsed from untrusted JSON) against the root committed for its epoch.
 * @returns ok, or the reason it fails.
 */
export function verifyUsageReceipt(input: unknown, committedRoot: Hex): { ok: true } | { ok: false; reason: string } {
  const parsed = UsageReceiptSchema.safeParse(input);
  if (!parsed.success) return { ok: false, reason: `not a usage receipt: ${parsed.error.issues[0]?.message}` };
  const r = parsed.data;
  if (r.root !== committedRoot.toLowerCase())
    return { ok: false, reason: `receipt names root ${r.root}, not ${committedRoot}` };
  const computed = processProof(usageLeaf(r.epoch, r.salt as Hex, r.record), r.proof as Hex[]);
  return computed === r.root ? { ok: true } : { ok: false, reason: `proof leads to ${computed}, not ${r.root}` };
}
