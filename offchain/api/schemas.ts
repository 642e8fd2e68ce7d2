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
  .openapi({ type: "string", example: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8" });

export const Bytes32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "expected 32 bytes as 0x-hex")
  .transform((s) => s.toLowerCase())
  .openapi({ type: "string", example: "0x" + "ab".repeat(32) });

/** A token amount: a decimal string of a non-negative integer below 2^256 (base units, never a float). */
const DECIMAL_INTEGER = /^(0|[1-9][0-9]{0,77})$/;

// zod 4 runs refinements even after a failed regex: guard BigInt() so "1.5" is a 400, never a thrown SyntaxError.
export const Amount = z
  .string()
  .regex(DECIMAL_INTEGER, "expected a non-negative integer as a decimal string")
  .refine((s) => s.length < 78 || !DECIMAL_INTEGER.test(s) || BigInt(s) <= MAX_UINT256, "exceeds uint256")
  .openapi({ type: "string", example: "1000000" });

export const PositiveAmount = Amount.refine(
  (s) => !DECIMAL_INTEGER.test(s) || BigInt(s) > 0n,
  "must be greater than zero",
);

export const Bps = z.number().int().min(0).max(10_000);

/** Bytes32 without the lowercasing transform, for the hot usage path (the service lowercases in its own loop). */
export const Bytes32AnyCase = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "expected 32 bytes as 0x-hex")
  .openapi({ type: "string", example: "0x" + "ab".repeat(32) });

export const IsoDate = z.iso.datetime({ offset: true }).openapi({ example: "2026-01-01T00:00:00Z" });

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
  .openapi("Problem");

export const Empty = z.strictObject({});
