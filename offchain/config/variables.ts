/**
 * Every environment variable the programs read, with one name each: its zod schema (`envShape`), its default as
 * a person reads it and what it means (`DOCS`, typed so a variable cannot be added undocumented). The README's
 * configuration table is rendered from these (`npm run config:table` rewrites it;
 * test/offchain/config/variables.test.ts fails when the two differ).
 */
import { z } from "zod";

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "expected a 20-byte 0x-hex address")
  .transform((s) => s.toLowerCase() as `0x${string}`);
const int = (min: number) => z.coerce.number().int().min(min);

export const envShape = {
  DATA_DIR: z.string().min(1).default(".data"),
  DATABASE_URL: z.string().url().optional(),
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: int(0).max(65535).default(8080),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  SIWE_DOMAIN: z.string().min(1).optional(),
  SESSION_TTL_SECONDS: int(1).default(86_400),
  NONCE_TTL_SECONDS: int(1).default(600),
  BOOTSTRAP_OPERATOR: address.optional(),
  TREASURY_ADDRESS: address.optional(),
  PLATFORM_FEE_BPS: int(0).max(10_000).default(0),
  WEB_RPC_URL: z.string().url().optional(),
  DISTRIBUTION_STORE_DIR: z.string().min(1).optional(),
  PROOF_STATE_MAX_AGE_MS: int(0).default(1000),
  LATE_USAGE_GRACE_SECONDS: int(0).default(86_400),
  UNKNOWN_LICENSE_GRACE_SECONDS: int(0).default(7 * 86_400),
  SHARE_CHANGE_PAST_TOLERANCE_SECONDS: int(0).default(300),
  SHARE_CHANGE_NOTICE_SECONDS: int(0).default(14 * 86_400),
  RPC_URL: z.string().url().optional(),
  SPLITTER_ADDRESS: address.optional(),
  PRIVATE_KEY: z.string().optional(),
  KEYSTORE_PATH: z.string().min(1).optional(),
  KEYSTORE_PASSWORD: z.string().optional(),
  CHAIN_ID: int(1).default(31337),
  DEV_CHAIN_PORT: int(0).max(65535).default(8545),
  DEV_TIMELOCK_SECONDS: int(0)
    .max(2 ** 32 - 1)
    .default(120),
  WATCH_ROOTS: z.enum(["0", "1"]).default("0"),
  SPLITTER_START_BLOCK: z.coerce.bigint().min(0n).default(0n),
  CONFIRMATIONS: int(1).optional(),
  REORG_DEPTH: int(1).optional(),
  MAX_BLOCK_RANGE: int(1).default(2000),
  CHAIN_POLL_MS: int(10).optional(),
  PUBLISH_INTERVAL_MS: int(100).default(60_000),
  STUCK_AFTER_MS: int(0).default(180_000),
  FEE_BUMP_PERCENT: int(10).max(1000).default(25),
  ROOT_CORRECTION_EPOCH: int(1).optional(),
  TRIBUTARY_API: z.string().url().default("http://127.0.0.1:8080"),
  RECEIPT_SIGNER_KEY: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/, "expected a 32-byte 0x-hex private key")
    .optional(),
  WEBHOOK_POLL_MS: int(10).default(1000),
  WEBHOOK_RETRY_BASE_MS: int(1).default(5000),
  WEBHOOK_MAX_ATTEMPTS: int(1).max(100).default(10),
  WEBHOOK_ALLOW_HTTP_LOOPBACK: z.enum(["true", "false"]).default("false"),
  SPLITTER_ALLOWED_TOKENS: z
    .string()
    .default("")
    .transform((s) =>
      s
        .split(",")
        .map((t) => t.trim())
        .filter((t) => t !== ""),
    )
    .pipe(z.array(address)),
};

export type VariableName = keyof typeof envShape;

/** [default as a person reads it, meaning], in the README's order. */
export const DOCS: Record<VariableName, readonly [string, string]> = {
  DATA_DIR: [".data", "folder of the embedded database and the development chain's journal"],
  DATABASE_URL: ["(unset)", "PostgreSQL server; unset = embedded PGlite in `DATA_DIR/pglite`"],
  HOST: ["127.0.0.1", "interface the API listens on"],
  PORT: ["8080", "port the API listens on (0 = any free port)"],
  LOG_LEVEL: ["info", "pino log level (fatal … trace, silent)"],
  SIWE_DOMAIN: ["the host:port listened on", "domain SIWE messages must be issued for"],
  SESSION_TTL_SECONDS: ["86400", "bearer session lifetime"],
  NONCE_TTL_SECONDS: ["600", "how long a SIWE nonce may wait to be used (once)"],
  BOOTSTRAP_OPERATOR: ["dev chain: account #0", "address granted the operator role on start"],
  TREASURY_ADDRESS: ["dev chain: account #9", "account receiving the platform fee leaf (required with a fee)"],
  PLATFORM_FEE_BPS: ["0", "platform fee in basis points"],
  WEB_RPC_URL: ["the chain's RPC URL", "JSON-RPC URL the web pages read the chain from"],
  DISTRIBUTION_STORE_DIR: [
    "`DATA_DIR/distributions`",
    "content-addressed store of the published distribution files (replicas must share it: a volume)",
  ],
  PROOF_STATE_MAX_AGE_MS: [
    "1000",
    "proofs served from memory: this process's promotions and claims show at once, other replicas' (PostgreSQL) within this (+ one refresh); 0 reads the database per request",
  ],
  LATE_USAGE_GRACE_SECONDS: [
    "86400",
    "usage may be reported this long after it occurred (billed in the next open epoch, counted late)",
  ],
  UNKNOWN_LICENSE_GRACE_SECONDS: [
    "604800",
    "a deposit to an unknown license id is refunded to its payer this long after confirmation",
  ],
  SHARE_CHANGE_PAST_TOLERANCE_SECONDS: [
    "300",
    "a share change's `effectiveAt` may lie this far in the past (never in a closed epoch)",
  ],
  SHARE_CHANGE_NOTICE_SECONDS: [
    "1209600",
    "a share change that removes or lowers a contributor who has not approved it takes effect no sooner than this",
  ],
  RPC_URL: ["(unset)", "JSON-RPC endpoint of a real chain; unset = start the development chain"],
  SPLITTER_ADDRESS: ["dev chain: deployed", "RoyaltySplitter address (required with `RPC_URL`)"],
  PRIVATE_KEY: ["(unset)", "signing key, 0x + 64 hex (the poster with `RPC_URL`; the CLI's key)"],
  KEYSTORE_PATH: ["(unset)", "encrypted JSON keystore (ethers) instead of `PRIVATE_KEY`"],
  KEYSTORE_PASSWORD: ["(unset)", "password of `KEYSTORE_PATH` (required with it)"],
  CHAIN_ID: ["31337", "`npm run serve` only: the chain SIWE messages name (`npm start` asks the chain)"],
  DEV_CHAIN_PORT: ["8545", "port of the development chain's JSON-RPC on 127.0.0.1"],
  DEV_TIMELOCK_SECONDS: ["120", "timelock of the splitter deployed on the development chain"],
  WATCH_ROOTS: ["0", "dev chain: `1` runs a root watcher (offchain/watch) with the dev guardian's key"],
  SPLITTER_START_BLOCK: ["0", "with `RPC_URL`: first block the readers scan (the splitter's deployment)"],
  CONFIRMATIONS: ["1 dev / 12", "blocks (own included) before a deposit or claim counts"],
  REORG_DEPTH: ["2 × CONFIRMATIONS", "blocks re-read below the cursor every pass (≥ `CONFIRMATIONS`)"],
  MAX_BLOCK_RANGE: ["2000", "largest eth_getLogs range"],
  CHAIN_POLL_MS: ["500 dev / 4000", "interval of the indexer, the claim watcher and the dev chain's miner"],
  PUBLISH_INTERVAL_MS: ["60000", "scheduler interval (close → publish)"],
  STUCK_AFTER_MS: ["180000", "a root transaction pending this long is re-priced"],
  FEE_BUMP_PERCENT: ["25", "fee increase of a re-priced transaction (nodes require ≥ 10)"],
  ROOT_CORRECTION_EPOCH: [
    "(unset)",
    "while the splitter is paused, the only epoch the publisher proposes (the reviewed correction); unset: none",
  ],
  TRIBUTARY_API: ["http://127.0.0.1:8080", "the CLI's API base URL (`--api` overrides)"],
  RECEIPT_SIGNER_KEY: ["dev chain: account #0 / a key per process", "private key signing consent receipts (EIP-712)"],
  WEBHOOK_POLL_MS: ["1000", "how often the webhook dispatcher looks for due deliveries"],
  WEBHOOK_RETRY_BASE_MS: ["5000", "first webhook retry delay; doubles per attempt, capped at one hour"],
  WEBHOOK_MAX_ATTEMPTS: ["10", "attempts before a webhook delivery is marked failed"],
  WEBHOOK_ALLOW_HTTP_LOOPBACK: [
    "false",
    "accept http(s) webhook URLs on localhost / 127.0.0.0/8 / ::1 (tests, development); other private addresses stay refused",
  ],
  SPLITTER_ALLOWED_TOKENS: [
    "(none)",
    "`hardhat ignition deploy` of RoyaltySplitter only: comma-separated tokens to allow-list (one `setTokenAllowed` each)",
  ],
};

/** Old names, refused with the new one named: a silently ignored key would be worse than a failed start. */
export const RENAMED: Record<string, VariableName> = {
  PUBLISHER_PRIVATE_KEY: "PRIVATE_KEY",
  PUBLISHER_KEYSTORE: "KEYSTORE_PATH",
  PUBLISHER_KEYSTORE_PASSWORD: "KEYSTORE_PASSWORD",
};

/** The README table: variable | default | meaning. */
export function variablesTable(): string {
  const rows = (Object.keys(DOCS) as VariableName[]).map((n) => `| \`${n}\` | ${DOCS[n][0]} | ${DOCS[n][1]} |`);
  return ["| variable | default | meaning |", "|---|---|---|", ...rows].join("\n");
}
