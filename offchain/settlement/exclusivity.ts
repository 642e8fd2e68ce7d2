/**
 * Refuses input in which two licenses hold overlapping exclusive windows on the same dataset and
 * scope. The service should never let that happen; the engine checks again because an overlap means
 * two buyers were each promised the same exclusive right, and settling it would launder the error.
 */
import type { Hex } from "viem";
import type { License } from "./types";
import { ExclusivityOverlapError } from "./errors";

interface Window {
  licenseId: Hex;
  start: number;
  end: number;
}

/**
 * Throws {@link ExclusivityOverlapError} for the first overlapping pair in canonical order
 * (dataset id, scope, start, license id), so the same input always names the same pair.
 */
export function assertNoExclusivityOverlap(licenses: readonly License[]): void {
  const groups = new Map<string, { datasetId: Hex; scope: string; windows: Window[] }>();
  for (const license of licenses) {
    for (const w of license.exclusivity) {
      const key = `${w.datasetId}\u0000${w.scope}`;
      let group = groups.get(key);
      if (group === undefined) groups.set(key, (group = { datasetId: w.datasetId, scope: w.scope, windows: [] }));
      group.windows.push({ licenseId: license.id, start: w.start, end: w.end });
    }
  }
  const keys = [...groups.keys()].sort();
  for (const key of keys) {
    const { datasetId, scope, windows } = groups.get(key)!;
    windows.sort((a, b) => a.start - b.start || (a.licenseId < b.licenseId ? -1 : a.licenseId > b.licenseId ? 1 : 0));
    for (let i = 0; i < windows.length; i++) {
      const a = windows[i];
      // Sorted by start: once a later window starts at or after a's end, no further one overlaps a.
      for (let j = i + 1; j < windows.length && windows[j].start < a.end; j++) {
        const b = windows[j];
        if (b.licenseId === a.licenseId) continue; // a license never conflicts with itself
        const [first, second] = a.licenseId < b.licenseId ? [a.licenseId, b.licenseId] : [b.licenseId, a.licenseId];
        throw new ExclusivityOverlapError(first, second, datasetId, scope);
      }
    }
  }
}
