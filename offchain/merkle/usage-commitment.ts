/**
 * Usage-inclusion commitment: one epoch's billed usage (events and/or per-(license, dataset) aggregates) as a
 * Merkle root over salted commitments, so a buyer can be given a receipt proving one of its events was counted
 * in epoch N, and a creator its datasets' aggregates, without either learning anything about other parties.
 *
 * - leaf = keccak256(abi.encode("tributary-usage-v1", uint32 epoch, bytes32 salt, bytes32 keccak256(record JSON)))
 *   (a different byte length and domain from allocation leaves, so neither can pass for the other);
 * - salt = keccak256(abi.encode(bytes32 epochSecret, "salt", record key)): the operator can re-issue any receipt
 *   from the secret, a receipt reveals only its own salt, and a leaf cannot be brute-forced from guessed usage;
 * - the tree is padded with secret-derived dummy leaves (keccak256(secret ‖ "pad" ‖ uint32 index)) to 2^max(16, ⌈log2 n⌉) and its leaves sorted by hash, so
 *   every proof has the same length for any epoch up to 65,536 records and says nothing about how many records
 *   there are or where its own record sits. The tree is offchain/merkle's tree, not a second implementation.
 *
 * Not yet wired into the epoch close nor the distribution file header (see the branch report).
 */
import { encodeAbiParameters, keccak256, stringToHex, type Hex } from "viem";
import { z } from "zod";
import { MerkleEmptyTreeError, MerkleError } from "./errors";
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
    encodeAbiParameters(
      [{ type: "string" }, { type: "uint32" }, { type: "bytes32" }, { type: "bytes32" }],
      [USAGE_DOMAIN, epoch, salt, keccak256(stringToHex(canonicalRecord(record)))],
    ),
  );
}

export type UsageCommitment = {
  readonly epoch: number;
  readonly root: Hex;
  /** Leaves in the padded tree (a power of two ≥ 2^16). */
  readonly paddedCount: number;
  readonly depth: number;
  /** The receipt of `records[i]`. */
  receipt(i: number): UsageReceipt;
};

/**
 * Commits to `records` (each record key — event ref, or (license, dataset) — at most once).
 * @param secret the epoch's 32-byte secret (kept by the operator; never published).
 */
export async function buildUsageCommitment(p: {
  epoch: number;
  secret: Hex;
  records: readonly UsageRecord[];
}): Promise<UsageCommitment> {
  if (p.records.length === 0) throw new MerkleEmptyTreeError();
  const records = p.records.map((r) => UsageRecordSchema.parse(r));
  let depth = USAGE_MIN_DEPTH;
  while (2 ** depth < records.length) depth++;
  const padded = 2 ** depth;
  const salts = records.map((r) => usageSalt(p.secret, r));
  const leaves: Buffer[] = records.map((r, i) => Buffer.from(usageLeaf(p.epoch, salts[i], r).slice(2), "hex"));
  if (new Set(leaves.map((l) => l.toString("hex"))).size !== leaves.length)
    throw new MerkleError("MERKLE_DUPLICATE_LEAF", "usage commitment: a record key appears twice");
  // Dummy leaves: keccak256(secret ‖ "pad" ‖ uint32 i), on the wasm hasher (65,536 of them per epoch at least).
  const hasher = await createKeccakHasher();
  const secret = Buffer.from(p.secret.slice(2), "hex");
  const label = Buffer.from("pad", "latin1");
  const index = Buffer.alloc(4);
  for (let i = records.length; i < padded; i++) {
    hasher.init();
    hasher.update(secret);
    hasher.update(label);
    index.writeUInt32BE(i);
    hasher.update(index);
    leaves.push(Buffer.from(hasher.digest("binary")));
  }
  const order = leaves.map((_, i) => i).sort((a, b) => Buffer.compare(leaves[a], leaves[b]));
  const position = new Uint32Array(records.length);
  const flat = new Uint8Array(padded * 32);
  order.forEach((leafIndex, pos) => {
    if (leafIndex < records.length) position[leafIndex] = pos;
    flat.set(leaves[leafIndex], pos * 32);
  });
  const tree = await buildMerkleTree(flat, hasher);
  return {
    epoch: p.epoch,
    root: tree.root,
    paddedCount: padded,
    depth,
    receipt: (i) => ({
      format: "tributary-usage-receipt",
      version: 1,
      epoch: p.epoch,
      root: tree.root,
      record: records[i],
      salt: salts[i],
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
