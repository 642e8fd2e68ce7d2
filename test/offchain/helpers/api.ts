/** An app on a fresh test database, with parties that sign in through SIWE like real clients. */
import request from "supertest";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { createSiweMessage } from "viem/siwe";
import { keccak256, toHex } from "viem";
import { createApp, type App } from "../../../offchain/api/app";
import { createCommon, type Common } from "../../../offchain/common";
import { loadConfig } from "../../../offchain/config";
import { bootstrapOperator } from "../../../offchain/api/services/roles";
import { openTestDatabase, truncateAll, type TestDb } from "./database";
import { checkResponses } from "./openapi-responses";
import { staticTokenAllowList } from "../../../offchain/api/services/token-allow-list";

export const DOMAIN = "localhost:8080";
export const TOKEN = "0x" + "7e".repeat(20);
/** The test token's decimals, as a USDC-like stablecoin. */
export const TOKEN_DECIMALS = 6;
export const TREASURY = "0x" + "fe".repeat(20);
export const SPLITTER = "0x" + "5b".repeat(20);

/** Deterministic accounts: the same private keys every run. */
export function account(name: string): PrivateKeyAccount {
  return privateKeyToAccount(keccak256(toHex(`tributary-test-${name}`)));
}

export type TestApi = {
  db: TestDb;
  app: App;
  common: Common;
  operator: PrivateKeyAccount;
  reset(): Promise<void>;
  close(): Promise<void>;
};

export async function startTestApi(env: Record<string, string> = {}): Promise<TestApi> {
  const operator = account("operator");
  const config = loadConfig({
    LOG_LEVEL: "silent",
    SIWE_DOMAIN: DOMAIN,
    BOOTSTRAP_OPERATOR: operator.address,
    TREASURY_ADDRESS: TREASURY,
    SPLITTER_ADDRESS: SPLITTER,
    PLATFORM_FEE_BPS: "250",
    // The API tests write epochs and claimed totals straight into the database (no publisher or claim watcher in
    // process to tell the proof state) and empty it between tests: proofs read it per request. The in-memory state
    // has its own tests (fast-proofs.test.ts, epochs/proof-state.test.ts).
    PROOF_STATE_MAX_AGE_MS: "0",
    ...env,
  });
  const common = createCommon(config, { defaultMetrics: false });
  const db = await openTestDatabase();
  // Every response of the API tests is checked against /openapi.json (see openapi-responses.ts).
  const app = createApp({ common, db, tokens: staticTokenAllowList([TOKEN], { [TOKEN]: TOKEN_DECIMALS }) });
  checkResponses(app, app.locals.routes);
  await bootstrapOperator({ prisma: db.prisma, common });
  return {
    db,
    app,
    common,
    operator,
    async reset() {
      await truncateAll(db);
      app.locals.services.distributions.clear();
      await bootstrapOperator({ prisma: db.prisma, common });
    },
    close: () => db.close(),
  };
}

export async function siweMessage(
  app: App,
  who: PrivateKeyAccount,
  over: Partial<Parameters<typeof createSiweMessage>[0]> = {},
) {
  const nonce = (await request(app).post("/v1/auth/nonce").expect(201)).body.nonce as string;
  const message = createSiweMessage({
    domain: DOMAIN,
    address: who.address,
    statement: "Sign in to Tributary",
    uri: `http://${DOMAIN}`,
    version: "1",
    chainId: 31337,
    nonce,
    ...over,
  });
  return { message, nonce, signature: await who.signMessage({ message }) };
}

/** Signs in through the API and returns the bearer token. */
export async function signIn(app: App, who: PrivateKeyAccount): Promise<string> {
  const { message, signature } = await siweMessage(app, who);
  const res = await request(app).post("/v1/auth/verify").send({ message, signature }).expect(201);
  return res.body.token as string;
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
