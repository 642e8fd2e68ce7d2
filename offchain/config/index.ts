/**
 * Configuration, read from the environment once (variables.ts lists every variable, its default and meaning).
 *
 * `loadSettings(env)` is the only reader of the environment. Facts a running system learns — the chain id the
 * node reports, the splitter it deployed or was given, the host:port it bound — are not variables: they are
 * passed to `serviceConfig(settings, runtime)` as typed arguments. `loadConfig(env)` is the API-alone shortcut
 * (`npm run serve`, tests) whose runtime facts come from CHAIN_ID, SPLITTER_ADDRESS, PORT.
 */
import path from "node:path";
import { z } from "zod";
import type { Address } from "viem";
import type { ChainConfig } from "../chain/config";
import type { PublisherKeySource } from "../chain/keys";
import { TributaryError } from "../common/errors";
import { envShape, RENAMED, type VariableName } from "./variables";

export { DOCS, RENAMED, variablesTable, type VariableName } from "./variables";

const envSchema = z.object(envShape);

export type DatabaseConfig = { url?: string; dataDir: string };
export type LogLevel = z.infer<typeof envShape.LOG_LEVEL>;

/** The environment, parsed: every setting a person chooses. */
export type Settings = {
  database: DatabaseConfig;
  http: { host: string; port: number };
  logLevel: LogLevel;
  siwe: { domain?: string; sessionTtlSeconds: number; nonceTtlSeconds: number };
  bootstrapOperator?: Address;
  treasuryAddress?: Address;
  platformFeeBps: number;
  webRpcUrl?: string;
  distributionStoreDir: string;
  proofStateMaxAgeMs: number;
  lifecycle: { lateUsageGraceSeconds: number; unknownLicenseGraceSeconds: number };
  /** Share changes: how far in the past an effective time may lie, and the notice a lowered contributor gets. */
  shareChanges: { pastToleranceSeconds: number; noticeSeconds: number };
  /** `npm run serve` only: the chain is not asked there. */
  chainId: number;
  splitterAddress?: Address;
  chain: ChainConfig;
  /** The signing key, when one is configured. */
  key?: PublisherKeySource;
  devChain: { port: number; timelockSeconds: number; watchRoots: boolean };
  /** The CLI's API base URL. */
  apiUrl: string;
  receiptSignerKey?: `0x${string}`;
  webhooks: WebhookSettings;
  /** The Ignition deployment module's token allow-list (lowercase). */
  deployment: { allowedTokens: Address[] };
};

export type WebhookSettings = { pollMs: number; retryBaseMs: number; maxAttempts: number; allowHttpLoopback: boolean };

/** What the service modules read (`common.config`). */
export type Config = {
  database: DatabaseConfig;
  http: { host: string; port: number };
  logLevel: LogLevel;
  chainId: number;
  siwe: { domain: string; sessionTtlSeconds: number; nonceTtlSeconds: number };
  bootstrapOperator?: Address;
  splitterAddress: Address;
  treasuryAddress: Address;
  platformFeeBps: number;
  webRpcUrl?: string;
  /** Folder of the content-addressed file store (offchain/files). */
  distributionStoreDir: string;
  /** How stale the in-process proof state (latest epoch, claimed totals) may be; 0 = read on every request. */
  proofStateMaxAgeMs: number;
  lifecycle: { lateUsageGraceSeconds: number; unknownLicenseGraceSeconds: number };
  /** Share changes: how far in the past an effective time may lie, and the notice a lowered contributor gets. */
  shareChanges: { pastToleranceSeconds: number; noticeSeconds: number };
  receiptSignerKey?: `0x${string}`;
  webhooks: WebhookSettings;
};

/** What the running system learned, given to serviceConfig as arguments. */
export type Runtime = {
  chainId: number;
  splitter: Address;
  /** host:port the API is bound to: the SIWE domain unless SIWE_DOMAIN says otherwise. */
  listening: string;
  /** The chain's JSON-RPC URL, announced to the pages unless WEB_RPC_URL says otherwise. */
  rpcUrl?: string;
  /** Development defaults for the operator and the treasury (accounts #0 and #9). */
  devOperator?: Address;
  devTreasury?: Address;
  /** Development: the key consent receipts are signed with unless RECEIPT_SIGNER_KEY is set (account #0). */
  devReceiptKey?: `0x${string}`;
};

const ZERO: Address = "0x0000000000000000000000000000000000000000";

export class ConfigError extends TributaryError {
  override readonly name: string = "ConfigError";
  constructor(lines: string[]) {
    super("CONFIG_INVALID", `invalid environment:\n  ${lines.join("\n  ")}`);
  }
}

export type Env = Record<string, string | undefined>;

/** Values a program puts under (`defaults`, used when unset) or over (`fixed`) the environment, e.g. the demo's. */
export type EnvLayers = {
  defaults?: Partial<Record<VariableName, string>>;
  fixed?: Partial<Record<VariableName, string>>;
};

/** Parses the environment; throws a ConfigError listing every invalid, renamed or missing variable. */
export function loadSettings(source: Env = process.env, layers: EnvLayers = {}): Settings {
  const set = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined));
  const env: Env = { ...layers.defaults, ...set, ...layers.fixed };
  const renamed = Object.entries(RENAMED)
    .filter(([old]) => env[old] !== undefined)
    .map(([old, now]) => `${old}: renamed ${now}`);
  const parsed = envSchema.safeParse(env);
  const issues = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  if (renamed.length || !parsed.success) throw new ConfigError([...renamed, ...issues]);
  const e = parsed.data;
  const dev = e.RPC_URL === undefined;
  const confirmations = e.CONFIRMATIONS ?? (dev ? 1 : 12);
  const reorgDepth = e.REORG_DEPTH ?? Math.max(2 * confirmations, 2);
  const problems: string[] = [];
  if (reorgDepth < confirmations) problems.push("REORG_DEPTH: must be at least CONFIRMATIONS");
  if (e.KEYSTORE_PATH && e.KEYSTORE_PASSWORD === undefined)
    problems.push("KEYSTORE_PASSWORD: required with KEYSTORE_PATH");
  if (e.PRIVATE_KEY !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(e.PRIVATE_KEY)) {
    problems.push("PRIVATE_KEY: expected 0x followed by 64 hex digits"); // the key itself is never echoed
  }
  if (problems.length) throw new ConfigError(problems);
  const key: PublisherKeySource | undefined = e.KEYSTORE_PATH
    ? { keystorePath: e.KEYSTORE_PATH, password: e.KEYSTORE_PASSWORD ?? "" }
    : e.PRIVATE_KEY
      ? { privateKey: e.PRIVATE_KEY }
      : undefined;
  return {
    database: { url: e.DATABASE_URL, dataDir: e.DATA_DIR },
    http: { host: e.HOST, port: e.PORT },
    logLevel: e.LOG_LEVEL,
    siwe: { domain: e.SIWE_DOMAIN, sessionTtlSeconds: e.SESSION_TTL_SECONDS, nonceTtlSeconds: e.NONCE_TTL_SECONDS },
    bootstrapOperator: e.BOOTSTRAP_OPERATOR,
    treasuryAddress: e.TREASURY_ADDRESS,
    platformFeeBps: e.PLATFORM_FEE_BPS,
    webRpcUrl: e.WEB_RPC_URL,
    distributionStoreDir: e.DISTRIBUTION_STORE_DIR ?? path.join(e.DATA_DIR, "distributions"),
    proofStateMaxAgeMs: e.PROOF_STATE_MAX_AGE_MS,
    chainId: e.CHAIN_ID,
    splitterAddress: e.SPLITTER_ADDRESS,
    chain: {
      rpcUrl: e.RPC_URL,
      devChainPort: e.DEV_CHAIN_PORT,
      startBlock: e.SPLITTER_START_BLOCK,
      confirmations,
      reorgDepth,
      maxBlockRange: e.MAX_BLOCK_RANGE,
      pollIntervalMs: e.CHAIN_POLL_MS ?? (dev ? 500 : 4000),
      publishIntervalMs: e.PUBLISH_INTERVAL_MS,
      stuckAfterMs: e.STUCK_AFTER_MS,
      feeBumpPercent: e.FEE_BUMP_PERCENT,
      correctionEpoch: e.ROOT_CORRECTION_EPOCH,
    },
    key,
    devChain: { port: e.DEV_CHAIN_PORT, timelockSeconds: e.DEV_TIMELOCK_SECONDS, watchRoots: e.WATCH_ROOTS === "1" },
    apiUrl: e.TRIBUTARY_API.replace(/\/$/, ""),
    lifecycle: {
      lateUsageGraceSeconds: e.LATE_USAGE_GRACE_SECONDS,
      unknownLicenseGraceSeconds: e.UNKNOWN_LICENSE_GRACE_SECONDS,
    },
    shareChanges: {
      pastToleranceSeconds: e.SHARE_CHANGE_PAST_TOLERANCE_SECONDS,
      noticeSeconds: e.SHARE_CHANGE_NOTICE_SECONDS,
    },
    receiptSignerKey: e.RECEIPT_SIGNER_KEY as `0x${string}` | undefined,
    webhooks: {
      pollMs: e.WEBHOOK_POLL_MS,
      retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      allowHttpLoopback: e.WEBHOOK_ALLOW_HTTP_LOOPBACK === "true",
    },
    deployment: { allowedTokens: e.SPLITTER_ALLOWED_TOKENS },
  };
}

/** With RPC_URL the system runs against that chain: the splitter and the poster's key must be given. */
export function realChain(s: Settings): { rpcUrl: string; splitter: Address; key: PublisherKeySource } | undefined {
  if (!s.chain.rpcUrl) return undefined;
  const missing = [
    ...(s.splitterAddress ? [] : ["SPLITTER_ADDRESS"]),
    ...(s.key ? [] : ["KEYSTORE_PATH + KEYSTORE_PASSWORD (or PRIVATE_KEY)"]),
  ];
  if (missing.length || !s.splitterAddress || !s.key) {
    throw new ConfigError([`RPC_URL is set, so a real chain is used; also needed: ${missing.join(", ")}`]);
  }
  return { rpcUrl: s.chain.rpcUrl, splitter: s.splitterAddress, key: s.key };
}

/** The service's configuration: the settings plus what the running system learned. */
export function serviceConfig(s: Settings, r: Runtime): Config {
  const treasury = s.treasuryAddress ?? r.devTreasury ?? ZERO;
  if (s.platformFeeBps > 0 && treasury === ZERO) {
    throw new ConfigError(["TREASURY_ADDRESS: must be set when PLATFORM_FEE_BPS > 0"]);
  }
  return {
    database: s.database,
    http: s.http,
    logLevel: s.logLevel,
    chainId: r.chainId,
    siwe: {
      domain: s.siwe.domain ?? r.listening,
      sessionTtlSeconds: s.siwe.sessionTtlSeconds,
      nonceTtlSeconds: s.siwe.nonceTtlSeconds,
    },
    // Lowercased like every address the schema parses: the roles table compares addresses as stored.
    bootstrapOperator: (s.bootstrapOperator ?? r.devOperator)?.toLowerCase() as Address | undefined,
    splitterAddress: r.splitter.toLowerCase() as Address,
    treasuryAddress: treasury.toLowerCase() as Address,
    platformFeeBps: s.platformFeeBps,
    webRpcUrl: s.webRpcUrl ?? r.rpcUrl,
    distributionStoreDir: s.distributionStoreDir,
    proofStateMaxAgeMs: s.proofStateMaxAgeMs,
    lifecycle: s.lifecycle,
    shareChanges: s.shareChanges,
    receiptSignerKey: s.receiptSignerKey ?? r.devReceiptKey,
    webhooks: s.webhooks,
  };
}

/** The API alone (`npm run serve`, tests): chain id, splitter and SIWE domain from the environment. */
export function loadConfig(env: Env = process.env): Config {
  const s = loadSettings(env);
  return serviceConfig(s, {
    chainId: s.chainId,
    splitter: s.splitterAddress ?? ZERO,
    listening: `localhost:${s.http.port}`,
  });
}
