/**
 * Shared request/response building blocks. zod is extended with `.openapi()` here, once, so the same schemas
 * validate requests and generate /openapi.json.
 */
import { extendZodWithOpenApi } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";

extendZodWithOpenApi(z);

export { z };

const MAX_UINT256 = (1n << 256n) - 1n;

export const Address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "expected a 20-byte 0x-hex address")
  .transform((s) => s.toLowerCase())
  .openapi({
    description: "A 20-byte address as 0x-hex (any case; answered lowercase)",
    example: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
  });

export const Bytes32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "expected 32 bytes as 0x-hex")
  .transform((s) => s.toLowerCase())
  .openapi({ description: "32 bytes as 0x-hex (any case; answered lowercase)", example: "0x" + "ab".repeat(32) });

/** A token amount: a decimal string of a non-negative integer below 2^256 (base units, never a float). */
const DECIMAL_INTEGER = /^(0|[1-9][0-9]{0,77})$/;

// zod 4 runs refinements even after a failed regex: guard BigInt() so "1.5" is a 400, never a thrown SyntaxError.
export const Amount = z
  .string()
  .regex(DECIMAL_INTEGER, "expected a non-negative integer as a decimal string")
  .refine((s) => s.length < 78 || !DECIMAL_INTEGER.test(s) || BigInt(s) <= MAX_UINT256, "exceeds uint256")
  .openapi({
    description: "An integer amount in base units of the token (a decimal string, below 2^256)",
    example: "1000000",
  });

export const PositiveAmount = Amount.refine(
  (s) => !DECIMAL_INTEGER.test(s) || BigInt(s) > 0n,
  "must be greater than zero",
);

export const Bps = z.number().int().min(0).max(10_000);

/** Bytes32 without the lowercasing transform, for the hot usage path (the service lowercases in its own loop). */
export const Bytes32AnyCase = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "expected 32 bytes as 0x-hex")
  .openapi({ description: "32 bytes as 0x-hex", example: "0x" + "ab".repeat(32) });

/**
 * The instants the service stores: 1970-01-01T00:00:00Z to 2999-12-31T23:59:59.999Z. Outside it JavaScript
 * dates (after adding a license duration) or PostgreSQL timestamps fail; the range is checked here instead.
 */
export const MIN_DATE = "1970-01-01T00:00:00.000Z";
export const MAX_DATE = "2999-12-31T23:59:59.999Z";
const MIN_DATE_MS = Date.parse(MIN_DATE);
const MAX_DATE_MS = Date.parse(MAX_DATE);

export const IsoDate = z.iso
  .datetime({ offset: true })
  .refine((s) => {
    const t = Date.parse(s);
    // A string the datetime check already refused may not parse; leave that to its own message.
    return Number.isNaN(t) || (t >= MIN_DATE_MS && t <= MAX_DATE_MS);
  }, `must be between ${MIN_DATE} and ${MAX_DATE}`)
  .openapi({
    description: `An RFC 3339 date-time with offset, between ${MIN_DATE} and ${MAX_DATE}`,
    example: "2026-01-01T00:00:00Z",
  });

/**
 * Text the service stores: PostgreSQL refuses NUL (U+0000) in text and JSON, and a lone UTF-16 surrogate
 * cannot be encoded as UTF-8, so both are refused here. The pattern is the same rule for JSON Schema
 * (ECMAScript with the "u" flag, where a lone surrogate is a code point of its own).
 */
export const TEXT_PATTERN = "^[^\\u0000\\uD800-\\uDFFF]*$";
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching U+0000 is this pattern's whole purpose.
const NUL = /\u0000/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isStorableText(s: string): boolean {
  return !NUL.test(s) && !LONE_SURROGATE.test(s);
}

export function Text(max: number, min = 1) {
  return z
    .string()
    .min(min)
    .max(max)
    .refine((s) => !NUL.test(s), "must not contain NUL (U+0000)")
    .refine((s) => !LONE_SURROGATE.test(s), "must be valid UTF-16 (no lone surrogates)")
    .openapi({ pattern: TEXT_PATTERN });
}

/** Limits on free-form dataset metadata (a JSON object): nesting depth, serialized size, and its text. */
export const METADATA_LIMITS = { maxDepth: 8, maxBytes: 16_384, maxKeys: 256 } as const;

/**
 * Walks a JSON value without recursion (so a 100,000-level document cannot overflow the stack) and returns the
 * first rule it breaks: depth, text (keys and strings, as Text), or total serialized size.
 */
export function metadataProblem(value: unknown): string | undefined {
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 1 }];
  let keys = 0;
  while (stack.length) {
    const { v, depth } = stack.pop()!;
    if (typeof v === "string") {
      if (!isStorableText(v)) return "text must not contain NUL (U+0000) or lone surrogates";
      continue;
    }
    if (v === null || typeof v !== "object") continue;
    if (depth > METADATA_LIMITS.maxDepth) return `nested deeper than ${METADATA_LIMITS.maxDepth} levels`;
    const entries = Array.isArray(v) ? v.map((x) => ["", x] as const) : Object.entries(v);
    keys += entries.length;
    if (keys > METADATA_LIMITS.maxKeys) return `more than ${METADATA_LIMITS.maxKeys} keys and items in all`;
    for (const [k, x] of entries) {
      if (!isStorableText(k)) return "keys must not contain NUL (U+0000) or lone surrogates";
      stack.push({ v: x, depth: depth + 1 });
    }
  }
  if (Buffer.byteLength(JSON.stringify(value)) > METADATA_LIMITS.maxBytes)
    return `larger than ${METADATA_LIMITS.maxBytes} bytes as JSON`;
  return undefined;
}

export const Metadata = z
  .record(z.string(), z.unknown())
  .superRefine((v, ctx) => {
    const problem = metadataProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: `metadata ${problem}` });
  })
  .openapi({
    description:
      `Free-form JSON object describing the dataset: at most ${METADATA_LIMITS.maxDepth} levels deep, ` +
      `${METADATA_LIMITS.maxKeys} keys and items in all, ${METADATA_LIMITS.maxBytes} bytes as JSON; ` +
      "no NUL (U+0000) or lone surrogates in keys or strings",
    maxProperties: METADATA_LIMITS.maxKeys,
  });

export const Uuid = z.uuid();

export const EpochNumber = z.coerce
  .number()
  .int()
  .positive()
  .max(2 ** 31 - 1);

export const Role = z.enum(["creator", "buyer", "auditor", "operator"]);
export const Scope = z.enum(["training", "inference"]);
export const LicenseModel = z.enum(["one_time", "subscription", "per_use", "revenue_share"]);

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    requestId: z.string().optional().openapi({ description: "Names this request in the service's logs" }),
    errors: z
      .array(
        z.object({
          path: z.string(),
          message: z.string(),
          index: z.number().int().optional(),
          code: z.string().optional(),
        }),
      )
      .optional(),
  })
  .openapi("Problem", {
    description: "An RFC 9457 problem document; `errors` lists the failing fields as JSON pointers into the request",
  });

export const Empty = z.strictObject({});
