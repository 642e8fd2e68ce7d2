/**
 * Sorting accounts held as ASCII records ("0x" + 40 lower-case hex, 42 bytes each) in one buffer.
 * Lower-case hex compares like the 20-byte big-endian numbers it spells, so byte order is address order.
 */

/** Bytes per account record. */
export const ASCII_ADDRESS = 42;
// A group's local index fits in 21 bits, so (32-bit account prefix, index) packs exactly into a double.
const INDEX_BITS = 2 ** 21;

/**
 * Sorts `indices` (record numbers in `ascii`) by account, stably: records of one account keep their
 * order in `indices` (canonical.ts passes them in token order to get (account, token) order). A native Float64Array sort on
 * (first 4 bytes, position) keys runs ~3× faster than a comparator sort over 1M records; runs that
 * share the 4-byte prefix are then ordered by the full record.
 * @param keyedLimit largest group sorted with packed keys (tests lower it to reach the comparator path).
 * @returns the sorted record numbers, and the first record equal to its predecessor (-1 if none).
 */
export function sortAccountRecords(
  ascii: Uint8Array,
  indices: Uint32Array,
  keyedLimit = INDEX_BITS,
): { sorted: Uint32Array; duplicate: number } {
  const n = indices.length;
  const sorted = new Uint32Array(n);
  if (n > Math.min(keyedLimit, INDEX_BITS)) {
    const all = Array.from(indices).sort((a, b) => compareRecords(ascii, a, b));
    sorted.set(all);
    return { sorted, duplicate: firstDuplicate(ascii, sorted, 0, n) };
  }
  const keys = new Float64Array(n);
  for (let k = 0; k < n; k++) keys[k] = prefix32(ascii, indices[k]) * INDEX_BITS + k;
  keys.sort();
  for (let k = 0; k < n; k++) sorted[k] = indices[keys[k] % INDEX_BITS];
  let duplicate = -1;
  let runStart = 0;
  for (let k = 1; k <= n; k++) {
    if (k < n && Math.floor(keys[k] / INDEX_BITS) === Math.floor(keys[runStart] / INDEX_BITS)) continue;
    if (k - runStart > 1 && !runSorted(ascii, sorted, runStart, k)) {
      const run = Array.from(sorted.subarray(runStart, k)).sort((a, b) => compareRecords(ascii, a, b));
      sorted.set(run, runStart);
    }
    // Equal accounts share their prefix, so duplicates can only sit inside such a run.
    if (k - runStart > 1 && duplicate < 0) duplicate = firstDuplicate(ascii, sorted, runStart, k);
    runStart = k;
  }
  return { sorted, duplicate };
}

function prefix32(ascii: Uint8Array, record: number): number {
  let v = 0;
  for (let i = ASCII_ADDRESS * record + 2, end = i + 8; i < end; i++) {
    const c = ascii[i];
    v = v * 16 + (c <= 57 ? c - 48 : c - 87);
  }
  return v;
}

/** Whether a run is already in order (the usual case: one account's several tokens), to skip its sort. */
function runSorted(ascii: Uint8Array, sorted: Uint32Array, from: number, to: number): boolean {
  for (let k = from + 1; k < to; k++) if (compareRecords(ascii, sorted[k - 1], sorted[k]) > 0) return false;
  return true;
}

/** Byte order of two account records (negative, zero or positive). */
export function compareRecords(ascii: Uint8Array, a: number, b: number): number {
  const x = ASCII_ADDRESS * a;
  const y = ASCII_ADDRESS * b;
  for (let i = 2; i < ASCII_ADDRESS; i++) {
    const d = ascii[x + i] - ascii[y + i];
    if (d !== 0) return d;
  }
  return 0;
}

function firstDuplicate(ascii: Uint8Array, sorted: Uint32Array, from: number, to: number): number {
  for (let k = from + 1; k < to; k++) if (compareRecords(ascii, sorted[k - 1], sorted[k]) === 0) return sorted[k];
  return -1;
}
