/**
 * Parsing the big lists (a million usage rows, a million bundle entries, hundreds of thousands of
 * cumulative entries) row by row through zod cost ~10 s per million rows, mostly garbage
 * collection. `fastList` keeps zod as the definition and the error reporter: a row is taken by a
 * small hand-written check only when it is plainly valid and already canonical; anything else
 * (checksummed addresses, upper-case ids, invalid rows) is parsed by the zod row schema, so issues
 * and normalisation stay zod's. Tests (fastList.test.ts) check that whenever the fast check accepts
 * a row, the zod row schema accepts it with an identical output.
 */
import { z } from "zod";
import { isCanonicalAddress, isCanonicalBytes32 } from "./normalize";

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** An array of `row`, with `fast` tried first on each element (see module comment). */
export function fastList<S extends z.ZodType>(row: S, fast: (value: unknown) => z.output<S> | undefined) {
  return z
    .custom<z.input<S>[]>((v) => Array.isArray(v), "expected an array")
    .transform((rows, ctx): z.output<S>[] => {
      const out = new Array<z.output<S>>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const quick = fast(rows[i]);
        if (quick !== undefined) {
          out[i] = quick;
          continue;
        }
        const parsed = row.safeParse(rows[i]);
        if (!parsed.success) {
          for (const issue of parsed.error.issues)
            ctx.addIssue({ ...issue, path: [i, ...issue.path] } as Parameters<typeof ctx.addIssue>[0]);
          return z.NEVER;
        }
        out[i] = parsed.data;
      }
      return out;
    });
}

type Row = Record<string, unknown>;

function isRow(value: unknown): value is Row {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A non-negative bigint from a bigint or a canonical decimal string, else undefined. */
export function quickAmount(value: unknown): bigint | undefined {
  if (typeof value === "bigint") return value >= 0n ? value : undefined;
  if (typeof value === "string" && DECIMAL.test(value)) return BigInt(value);
  return undefined;
}

function quickInt(value: unknown, min: number, max: number): number | undefined {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= min && value <= max ? value : undefined;
}

function quickBytes32(value: unknown): `0x${string}` | undefined {
  return typeof value === "string" && isCanonicalBytes32(value) ? (value as `0x${string}`) : undefined;
}

function quickAddress(value: unknown): `0x${string}` | undefined {
  return typeof value === "string" && isCanonicalAddress(value) ? (value as `0x${string}`) : undefined;
}

export function quickUsage(value: unknown) {
  if (!isRow(value)) return undefined;
  const licenseId = quickBytes32(value.licenseId);
  const datasetId = quickBytes32(value.datasetId);
  const epoch = quickInt(value.epoch, 0, Number.MAX_SAFE_INTEGER);
  const units = quickAmount(value.units);
  if (licenseId === undefined || datasetId === undefined || epoch === undefined || units === undefined)
    return undefined;
  if (value.at === undefined) return { licenseId, datasetId, epoch, units };
  const at = quickInt(value.at, 0, Number.MAX_SAFE_INTEGER);
  return at === undefined ? undefined : { licenseId, datasetId, epoch, units, at };
}

export function quickLicenseDataset(value: unknown) {
  if (!isRow(value)) return undefined;
  const datasetId = quickBytes32(value.datasetId);
  const weight = quickInt(value.weight, 1, 1_000_000_000);
  if (datasetId === undefined || weight === undefined) return undefined;
  return { datasetId, weight };
}

export function quickCumulative(value: unknown) {
  if (!isRow(value)) return undefined;
  const account = quickAddress(value.account);
  const token = quickAddress(value.token);
  const amount = quickAmount(value.amount);
  if (account === undefined || token === undefined || amount === undefined) return undefined;
  if (value.exact === undefined) return { account, token, amount };
  const exact = quickAmount(value.exact);
  return exact === undefined ? undefined : { account, token, amount, exact };
}

export function quickContributor(value: unknown) {
  if (!isRow(value)) return undefined;
  const account = quickAddress(value.account);
  const bps = quickInt(value.bps, 1, 10_000);
  if (account === undefined || bps === undefined) return undefined;
  return { account, bps };
}
