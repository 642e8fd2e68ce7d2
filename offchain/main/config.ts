/**
 * What `npm start` adds to the service and chain settings (offchain/config, offchain/chain/config).
 *
 * | variable                  | default   | meaning                                                                  |
 * |---------------------------|-----------|--------------------------------------------------------------------------|
 * | DEV_TIMELOCK_SECONDS      | 120       | timelock of the splitter deployed on the development chain               |
 * | SPLITTER_ADDRESS          | (unset)   | with RPC_URL: the deployed splitter (required)                           |
 * | KEYSTORE_PATH (+_PASSWORD)| (unset)   | with RPC_URL: the publisher's encrypted JSON keystore (ethers)           |
 * | PUBLISHER_KEYSTORE / PUBLISHER_PRIVATE_KEY | see offchain/chain/keys.ts (same meaning, older names)  |
 *
 * Without RPC_URL everything is the development default: in-process chain on 127.0.0.1:DEV_CHAIN_PORT,
 * contracts deployed on start, embedded PGlite under DATA_DIR.
 */
import { z } from "zod";
import type { Address } from "viem";
import { loadChainConfig, publisherKeySourceFromEnv, type ChainConfig, type PublisherKeySource } from "../chain";

export type MainConfig = {
  env: Record<string, string | undefined>;
  chain: ChainConfig;
  dataDir: string;
  devTimelockSeconds: number;
  /** Set on a real chain only. */
  real?: { rpcUrl: string; splitter: Address; key: PublisherKeySource };
};

const schema = z.object({
  DATA_DIR: z.string().default(".data"),
  DEV_TIMELOCK_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .default(120),
  SPLITTER_ADDRESS: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/)
    .optional(),
  KEYSTORE_PATH: z.string().optional(),
  KEYSTORE_PASSWORD: z.string().optional(),
});

/** Parses the environment once; throws a message naming every missing or invalid variable. */
export function loadMainConfig(env: Record<string, string | undefined> = process.env): MainConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success)
    throw new Error(
      `invalid environment:\n  ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n  ")}`,
    );
  const e = parsed.data;
  // KEYSTORE_PATH is the operator-facing name; the chain module reads PUBLISHER_KEYSTORE.
  const keyEnv = e.KEYSTORE_PATH
    ? { ...env, PUBLISHER_KEYSTORE: e.KEYSTORE_PATH, PUBLISHER_KEYSTORE_PASSWORD: e.KEYSTORE_PASSWORD }
    : env;
  const chain = loadChainConfig(env);
  const base = { env, chain, dataDir: e.DATA_DIR, devTimelockSeconds: e.DEV_TIMELOCK_SECONDS };
  if (!chain.rpcUrl) return base;
  const missing = [
    ...(e.SPLITTER_ADDRESS ? [] : ["SPLITTER_ADDRESS"]),
    ...(publisherKeySourceFromEnv(keyEnv) ? [] : ["KEYSTORE_PATH + KEYSTORE_PASSWORD (or PUBLISHER_PRIVATE_KEY)"]),
  ];
  if (missing.length) throw new Error(`RPC_URL is set, so a real chain is used; also needed: ${missing.join(", ")}`);
  return {
    ...base,
    real: { rpcUrl: chain.rpcUrl, splitter: e.SPLITTER_ADDRESS as Address, key: publisherKeySourceFromEnv(keyEnv)! },
  };
}
