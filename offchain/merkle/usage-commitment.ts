/**
 * Usage-inclusion commitment: one epoch's billed usage (events and per-(license, dataset) aggregates) as a Merkle
 * root over salted commitments, so a buyer can be given a receipt proving one of its events was counted in epoch N,
 * and a creator its datasets' aggregates, without either learning anything about other parties.
 *
 * - event leaf = keccak256(abi.encodePacked("tributary-usage-event-v1", bytes32 salt, record JSON)), computed once,
 *   when the event is ingested (`usageEventCommitments`, in the ingest transaction), with a random 32-byte salt
 *   stored beside it (private column). The epoch is not in it: the root is bound to its epoch by the distribution
 *   file header it sits in (chain, contract, epoch, usageRoot), anchored on-chain through contentHash;
 * - aggregate leaf = keccak256(abi.encodePacked("tributary-usage-v1", uint32 epoch, bytes32 salt, record JSON)) with
 *   salt = keccak256(abi.encode(bytes32 epochSecret, "salt", record key)), computed at the close (a few per epoch);
 * - domain separation: both preimages are longer than 64 bytes (an inner node hashes exactly 64) and start with
 *   ASCII "tributary-usage-" (an allocation leaf's preimage is an abi-encoded address, i.e. 12 zero bytes first);
 *   the two domains differ at byte 16 ("e" / "v") and neither is a prefix of the other, and the JSON, last, is the
 *   only variable-length part, so no preimage of one kind parses as another;
 * - salts are 32 random (event) or secret-derived (aggregate) bytes: a receipt reveals only its own salt, and a leaf
 *   cannot be brute-forced from guessed usage;
 * - the tree is padded with secret-derived dummy leaves (keccak256(secret ‖ "pad" ‖ uint32 index)) to
 *   2^max(16, ⌈log2 n⌉) and its leaves sorted by hash, so every proof has the same length for any epoch up to 65,536
 *   records and says nothing about how many records there are or where its own record sits. The tree is
 *   offchain/merkle's tree (on two threads from 2^16 leaves, `buildHashedLeafTree`), not a second implementation.
 *
 * The epoch close commits with it (offchain/epochs/usage-commitment.ts) and the root goes into the distribution file's
 * header (`usageRoot`), so it is anchored on-chain through contentHash.
 */
import { createSHA256 } from "hash-wasm";
import { encodeAbiParameters, encodePacked, hexToBytes, keccak256, sha256, stringToHex, type Hex } from "viem";
import { z } from "zod";
import { MerkleError } from "./errors";
import { createKeccakHasher, processProof, type KeccakHasher } from "./leaf";
import { buildHashedLeafTree } from "./parallel-tree";
import type { FlatMerkleTree } from "./tree";

export const USAGE_DOMAIN = "tributary-usage-v1";
export const USAGE_EVENT_DOMAIN = "tributary-usage-event-v1";
export const USAGE_MIN_DEPTH = 16;

const BYTES32 = z.string().regex(/^0x[0-9a-f]{64}$/);
const DEC = z.string().regex(/^(0|[1-9][0-9]*)$/);
export const UsageRecordSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("event"), licenseId: BYTES32, datasetId: BYTES32, eventRef: BYTES32, units: DEC }),
  z.strictObject({ kind: z.literal("aggregate"), licenseId: BYTES32, datasetId: BYTES32, events: DEC, units: DEC }),
]);
/** A billed event (its reference is a hash, never the buyer's idempotency key) or a per-(license, dataset) sum. */
export type UsageRecord = z.infer<typeof UsageRecordSchema>;
export type UsageEventRecord = Extract<UsageRecord, { kind: "event" }>;
export type UsageAggregateRecord = Extract<UsageRecord, { kind: "aggregate" }>;

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

/** An aggregate's salt, derived from the epoch secret (the operator can re-issue its receipt from the secret). */
export function usageSalt(secret: Hex, record: UsageAggregateRecord): Hex {
  return derive(secret, "salt", recordKey(record));
}

/** An aggregate's leaf (viem's encoding: the reference for every fast path). */
export function usageLeaf(epoch: number, salt: Hex, record: UsageAggregateRecord): Hex {
  return keccak256(
    encodePacked(["string", "uint32", "bytes32", "string"], [USAGE_DOMAIN, epoch, salt, canonicalRecord(record)]),
  );
}

/** An event's leaf (viem's encoding: the reference for `usageEventCommitments`' fast path). */
export function usageEventLeaf(salt: Hex, record: UsageEventRecord): Hex {
  return keccak256(encodePacked(["string", "bytes32", "string"], [USAGE_EVENT_DOMAIN, salt, canonicalRecord(record)]));
}

/** The leaf a receipt's record commits to. */
export function recordLeaf(epoch: number, salt: Hex, record: UsageRecord): Hex {
  return record.kind === "event" ? usageEventLeaf(salt, record) : usageLeaf(epoch, salt, record);
}

/**
 * A billed event's reference: SHA-256 of "<licenseId>:<idempotencyKey>" (UTF-8), which only its buyer can recompute.
 */
export function usageEventRef(licenseId: string, idempotencyKey: string): Hex {
  return sha256(stringToHex(`${licenseId.toLowerCase()}:${idempotencyKey}`));
}

/** What ingestion knows of an event (ids lowercase hex, units canonical decimal). */
export type UsageEventFields = { licenseId: string; datasetId: string; idempotencyKey: string; units: string };

let fastHashers: Promise<{ keccak: KeccakHasher; sha: Awaited<ReturnType<typeof createSHA256>> }> | undefined;
const hashers = () => {
  fastHashers ??= Promise.all([createKeccakHasher(), createSHA256()]).then(([keccak, sha]) => ({ keccak, sha }));
  return fastHashers;
};

/** `n` random 32-byte salts (crypto.getRandomValues: at most 65,536 bytes per call). */
function randomSalts(n: number): Uint8Array {
  const out = new Uint8Array(32 * n);
  for (let at = 0; at < out.length; at += 65_536) crypto.getRandomValues(out.subarray(at, at + 65_536));
  return out;
}

/**
 * The commitments of freshly ingested events: per event a random salt and its leaf (`usageEventLeaf` of its
 * record, with `usageEventRef`), 32 bytes each, event i at [32i, 32i + 32). Hashes with hash-wasm on a preimage
 * buffer reused across events (≈ 2 µs per event instead of ≈ 60 µs through viem); the test suite pins both outputs
 * byte for byte to the viem functions. Synchronous after the hashers are loaded, so concurrent batches cannot
 * interleave on the shared hashers.
 */
export async function usageEventCommitments(
  events: readonly UsageEventFields[],
  salts: Uint8Array = randomSalts(events.length),
): Promise<{ salts: Uint8Array; leaves: Uint8Array }> {
  const { keccak, sha } = await hashers();
  const leaves = new Uint8Array(32 * events.length);
  const encoder = new TextEncoder();
  const domain = encoder.encode(USAGE_EVENT_DOMAIN);
  // domain ‖ salt ‖ JSON; the longest JSON is ~330 bytes (a 78-digit units value).
  const preimage = new Uint8Array(domain.length + 32 + 512);
  preimage.set(domain);
  const jsonAt = domain.length + 32;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    sha.init();
    sha.update(encoder.encode(`${e.licenseId}:${e.idempotencyKey}`));
    const eventRef = `0x${sha.digest("hex")}` as Hex;
    const record: UsageEventRecord = {
      kind: "event",
      licenseId: e.licenseId,
      datasetId: e.datasetId,
      eventRef,
      units: e.units,
    };
    if (!recordIsValid(record)) throw new MerkleError("MERKLE_INVALID_LEAF", `usage event ${i} is malformed`);
    preimage.set(salts.subarray(32 * i, 32 * i + 32), domain.length);
    const { written } = encoder.encodeInto(canonicalRecord(record), preimage.subarray(jsonAt));
    keccak.init();
    keccak.update(preimage.subarray(0, jsonAt + written));
    leaves.set(keccak.digest("binary"), 32 * i);
  }
  return { salts, leaves };
}

/** An epoch's usage tree: the root, and proofs found by leaf (leaves are sorted, so by binary search). */
export type UsageTree = {
  readonly epoch: number;
  readonly root: Hex;
  /** Leaves in the padded tree (a power of two ≥ 2^16). */
  readonly paddedCount: number;
  readonly depth: number;
  /** The proof of `leaf`, or null when the tree does not hold it. */
  proof(leaf: Hex): Hex[] | null;
};

export type UsageCommitment = UsageTree & {
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

/** Position of `leaf` in the sorted layer 0, or -1. */
function findLeaf(layer: Uint8Array, leaf: Uint8Array): number {
  let lo = 0;
  let hi = layer.length / 32 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    let d = 0;
    for (let k = 0; k < 32 && d === 0; k++) d = layer[32 * mid + k] - leaf[k];
    if (d === 0) return mid;
    if (d < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * Commits to an epoch's event leaves (as stored at ingestion, 32 bytes each, any order) and its aggregates (each
 * (license, dataset) at most once): the aggregates' leaves, the padding, the sort and the tree. No event is
 * re-hashed.
 * @param secret the epoch's 32-byte secret (kept by the operator; never published).
 * @throws MerkleError MERKLE_INVALID_LEAF for a malformed aggregate, MERKLE_DUPLICATE_LEAF for a repeated leaf.
 */
export async function buildUsageTree(p: {
  epoch: number;
  secret: Hex;
  eventLeaves: Uint8Array;
  aggregates: readonly UsageAggregateRecord[];
}): Promise<UsageTree> {
  const events = p.eventLeaves.length / 32;
  if (!Number.isInteger(events)) throw new MerkleError("MERKLE_INVALID_LEAF", "usage commitment: leaves of 32 bytes");
  const n = events + p.aggregates.length;
  let depth = USAGE_MIN_DEPTH;
  while (2 ** depth < n) depth++;
  const padded = 2 ** depth;
  const hasher = await createKeccakHasher();
  const leaves = new Uint8Array(padded * 32);
  leaves.set(p.eventLeaves);
  p.aggregates.forEach((r, i) => {
    if (r.kind !== "aggregate" || !recordIsValid(r))
      throw new MerkleError("MERKLE_INVALID_LEAF", `usage commitment: aggregate ${i} is malformed`);
    leaves.set(hexToBytes(usageLeaf(p.epoch, usageSalt(p.secret, r), r)), 32 * (events + i));
  });
  // Dummy leaves: keccak256(secret ‖ "pad" ‖ uint32 i).
  const pad = new Uint8Array(32 + 3 + 4);
  const padView = new DataView(pad.buffer);
  pad.set(hexToBytes(p.secret));
  pad.set([0x70, 0x61, 0x64], 32); // "pad"
  for (let i = n; i < padded; i++) {
    padView.setUint32(35, i);
    hasher.init();
    hasher.update(pad);
    leaves.set(hasher.digest("binary"), 32 * i);
  }
  const order = sortedOrder(leaves, padded);
  // Shared memory: the tree's lower levels are hashed on two threads.
  const flat = new Uint8Array(new SharedArrayBuffer(padded * 32));
  // Copied and compared as 32-bit words (8 per leaf): a subarray view per leaf is an allocation, 1M of them.
  const src = new Uint32Array(leaves.buffer, leaves.byteOffset, 8 * padded);
  const dst = new Uint32Array(flat.buffer, 0, 8 * padded);
  for (let pos = 0; pos < padded; pos++) {
    const from = 8 * order[pos];
    const to = 8 * pos;
    for (let k = 0; k < 8; k++) dst[to + k] = src[from + k];
  }
  for (let pos = 1; pos < padded; pos++) {
    let same = true;
    for (let k = 0; k < 8 && same; k++) same = dst[8 * pos - 8 + k] === dst[8 * pos + k];
    if (same) throw new MerkleError("MERKLE_DUPLICATE_LEAF", "usage commitment: a leaf appears twice");
  }
  const tree: FlatMerkleTree = await buildHashedLeafTree(flat);
  return {
    epoch: p.epoch,
    root: tree.root,
    paddedCount: padded,
    depth,
    proof: (leaf) => {
      const at = findLeaf(tree.layers[0], hexToBytes(leaf));
      return at < 0 ? null : tree.proof(at);
    },
  };
}

/**
 * Commits to `records` given in full (the audit recomputation and tests): each event record with its stored salt
 * (`salts[i]`; ignored for aggregates), each record key at most once; none is allowed (padding only).
 * @throws MerkleError MERKLE_INVALID_LEAF for a malformed record or a missing salt, MERKLE_DUPLICATE_LEAF for a
 *   repeated key.
 */
export async function buildUsageCommitment(p: {
  epoch: number;
  secret: Hex;
  records: readonly UsageRecord[];
  salts: readonly (Hex | null)[];
}): Promise<UsageCommitment> {
  const { records } = p;
  const keys = new Set<string>();
  const eventIndex: number[] = [];
  const aggregates: UsageAggregateRecord[] = [];
  const leafOf: Hex[] = new Array(records.length);
  const saltOf: Hex[] = new Array(records.length);
  records.forEach((r, i) => {
    if (!recordIsValid(r)) throw new MerkleError("MERKLE_INVALID_LEAF", `usage commitment: record ${i} is malformed`);
    const key = recordKey(r);
    if (keys.has(key)) throw new MerkleError("MERKLE_DUPLICATE_LEAF", "usage commitment: a record key appears twice");
    keys.add(key);
    if (r.kind === "aggregate") {
      aggregates.push(r);
      saltOf[i] = usageSalt(p.secret, r);
      leafOf[i] = usageLeaf(p.epoch, saltOf[i], r);
      return;
    }
    const salt = p.salts[i];
    if (!salt || !RECORD_SHAPE.id.test(salt))
      throw new MerkleError("MERKLE_INVALID_LEAF", `usage commitment: event record ${i} has no salt`);
    eventIndex.push(i);
    saltOf[i] = salt;
  });
  const eventLeaves = new Uint8Array(32 * eventIndex.length);
  eventIndex.forEach((i, k) => {
    const leaf = usageEventLeaf(saltOf[i], records[i] as UsageEventRecord);
    leafOf[i] = leaf;
    eventLeaves.set(hexToBytes(leaf), 32 * k);
  });
  const tree = await buildUsageTree({ epoch: p.epoch, secret: p.secret, eventLeaves, aggregates });
  return {
    ...tree,
    records,
    receipt: (i) => ({
      format: "tributary-usage-receipt",
      version: 1,
      epoch: p.epoch,
      root: tree.root,
      record: records[i],
      salt: saltOf[i],
      proof: tree.proof(leafOf[i]) ?? [],
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
  const computed = processProof(recordLeaf(r.epoch, r.salt as Hex, r.record), r.proof as Hex[]);
  return computed === r.root ? { ok: true } : { ok: false, reason: `proof leads to ${computed}, not ${r.root}` };
}
