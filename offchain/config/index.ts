/**
 * Environment, parsed and validated once. Every variable is optional; defaults run the embedded setup.
 *
 * | variable              | default               | meaning                                                        |
 * |-----------------------|-----------------------|----------------------------------------------------------------|
 * | DATABASE_URL          | (unset)               | PostgreSQL server; unset = embedded PGlite in DATA_DIR/pglite   |
 * | DATA_DIR              | .data                 | folder for the embedded database and local state               |
 * | HOST / PORT           | 127.0.0.1 / 8080      | where the API listens                                          |
 * | LOG_LEVEL             | info                  | pino level (silent in tests)                                   |
 * | CHAIN_ID              | 31337                 | chain the SIWE messages and distribution files name            |
 * | SIWE_DOMAIN           | localhost:8080        | domain SIWE messages must be issued for                        |
 * | SESSION_TTL_SECONDS   | 86400                 | bearer session lifetime                                        |
 * | NONCE_TTL_SECONDS     | 600                   | how long a SIWE nonce may wait to be used (once)               |
 * | BOOTSTRAP_OPERATOR    | (unset)               | address granted the operator role on start                     |
 * | SPLITTER_ADDRESS      | 0x000…000             | RoyaltySplitter address given in deposit instructions          |
 * | TREASURY_ADDRESS      | 0x000…000             | account receiving the platform fee leaf                        |
 * | PLATFORM_FEE_BPS      | 0                     | platform fee in basis points                                   |
 * | WEB_RPC_URL           | (unset)               | JSON-RPC URL the web pages read the chain from (auditor page)   |
 * | RECEIPT_SIGNER_KEY    | (unset)               | private key signing consent receipts; unset = a key per process |
 * | WEBHOOK_POLL_MS       | 1000                  | how often the webhook dispatcher looks for due deliveries       |
 * | WEBHOOK_RETRY_BASE_MS | 5000                  | first retry delay; doubles per attempt, capped at one hour      |
 * | WEBHOOK_MAX_ATTEMPTS  | 10                    | attempts before a delivery is marked failed                     |
 * | WEBHOOK_ALLOW_HTTP_LOOPBACK | false           | accept http:// callbacks on 127.0.0.1/localhost (tests, dev)    |
 */
import { z } from "zod";

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "expected a 20-byte 0x-hex address")
  .transform((s) => s.toLowerCase() as `0x${string}`);

const envSchema = z
  .object({
    DATABASE_URL: z.string().url().optional(),
    DATA_DIR: z.string().default(".data"),
    HOST: z.string().default("127.0.0.1"),
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    CHAIN_ID: z.coerce.number().int().positive().default(31337),
    SIWE_DOMAIN: z.string().default("localhost:8080"),
    SESSION_TTL_SECONDS: z.coerce.number().int().positive().default(86_400),
    NONCE_TTL_SECONDS: z.coerce.number().int().positive().default(600),
    BOOTSTRAP_OPERATOR: address.optional(),
    SPLITTER_ADDRESS: address.default("0x0000000000000000000000000000000000000000"),
    TREASURY_ADDRESS: address.default("0x0000000000000000000000000000000000000000"),
    PLATFORM_FEE_BPS: z.coerce.number().int().min(0).max(10_000).default(0),
    WEB_RPC_URL: z.string().url().optional(),
    RECEIPT_SIGNER_KEY: z
      .string()
      .regex(/^0x[0-9a-fA-F]{64}$/, "expected a 32-byte 0x-hex private key")
      .optional(),
    WEBHOOK_POLL_MS: z.coerce.number().int().min(10).default(1000),
    WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(1).default(5000),
    WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(10),
    WEBHOOK_ALLOW_HTTP_LOOPBACK: z.enum(["true", "false"]).default("false"),
  })
  .superRefine((e, ctx) => {
    // Fail at start-up, not at the first epoch close: a fee paid to the zero address could never be claimed.
    if (e.PLATFORM_FEE_BPS > 0 && /^0x0{40}$/.test(e.TREASURY_ADDRESS)) {
      ctx.addIssue({ code: "custom", path: ["TREASURY_ADDRESS"], message: "must be set when PLATFORM_FEE_BPS > 0" });
    }
  });

export type DatabaseConfig = { url?: string; dataDir: string };

export type Config = {
  database: DatabaseConfig;
  http: { host: string; port: number };
  logLevel: z.infer<typeof envSchema>["LOG_LEVEL"];
  chainId: number;
  siwe: { domain: string; sessionTtlSeconds: number; nonceTtlSeconds: number };
  bootstrapOperator?: `0x${string}`;
  splitterAddress: `0x${string}`;
  treasuryAddress: `0x${string}`;
  platformFeeBps: number;
  webRpcUrl?: string;
  receiptSignerKey?: `0x${string}`;
  webhooks: { pollMs: number; retryBaseMs: number; maxAttempts: number; allowHttpLoopback: boolean };
};

/** Parses the environment (or the given record) into a Config; throws listing every invalid variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid environment:\n  ${lines.join("\n  ")}`);
  }
  const e = parsed.data;
  return {
    database: { url: e.DATABASE_URL, dataDir: e.DATA_DIR },
    http: { host: e.HOST, port: e.PORT },
    logLevel: e.LOG_LEVEL,
    chainId: e.CHAIN_ID,
    siwe: { domain: e.SIWE_DOMAIN, sessionTtlSeconds: e.SESSION_TTL_SECONDS, nonceTtlSeconds: e.NONCE_TTL_SECONDS },
    bootstrapOperator: e.BOOTSTRAP_OPERATOR,
    splitterAddress: e.SPLITTER_ADDRESS,
    treasuryAddress: e.TREASURY_ADDRESS,
    platformFeeBps: e.PLATFORM_FEE_BPS,
    webRpcUrl: e.WEB_RPC_URL,
    receiptSignerKey: e.RECEIPT_SIGNER_KEY as `0x${string}` | undefined,
    webhooks: {
      pollMs: e.WEBHOOK_POLL_MS,
      retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      allowHttpLoopback: e.WEBHOOK_ALLOW_HTTP_LOOPBACK === "true",
    },
  };
}
