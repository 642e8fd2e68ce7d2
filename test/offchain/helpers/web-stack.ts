/**
 * The real stack for browser tests: Hardhat's in-process network behind a JSON-RPC HTTP server, the splitter
 * and two test stablecoins, the API on a fresh PGlite database on a real HTTP port (pages built and served
 * by the app), and a marketplace seeded through the API: a creator and a contributor sharing a dataset with
 * consent, a buyer with one license per token, deposits on-chain picked up by the deposit indexer.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import fs from "node:fs";
import path from "node:path";
import hre from "hardhat";
import { JsonRpcServer } from "hardhat/internal/hardhat-network/jsonrpc/server";
import { encodeFunctionData, type Address, type Hex } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { createSiweMessage } from "viem/siwe";
import { createApp } from "../../../offchain/api/app";
import { bootstrapOperator } from "../../../offchain/api/services/roles";
import { royaltySplitterAbi, testStablecoinAbi } from "../../../offchain/chain/abi";
import { silentLogger } from "../../../offchain/chain/common";
import { createDepositIndexer } from "../../../offchain/chain/deposit-indexer";
import { createCommon } from "../../../offchain/common";
import { loadConfig } from "../../../offchain/config";
import { clientsFor, deployStack, devAccount, rpc } from "./chain";
import { openTestDatabase, type TestDb } from "./database";

export const ACCOUNTS = { admin: 0, poster: 1, buyer: 3, creator: 5, contributor: 6, operator: 7 } as const;

export type Token = { address: Address; symbol: string };
export type WebStack = {
  baseUrl: string;
  rpcUrl: string;
  splitter: Address;
  tokens: { tusd: Token; teur: Token };
  db: TestDb;
  accounts: { [K in keyof typeof ACCOUNTS]: PrivateKeyAccount };
  licenses: { tusd: Hex; teur: Hex };
  /** Signs in through the API over HTTP; returns a bearer token. */
  signIn(who: PrivateKeyAccount): Promise<string>;
  call<T>(method: string, urlPath: string, token?: string, body?: unknown): Promise<T>;
  indexDeposits(): Promise<void>;
  /** Closes the next epoch (operator route) and proposes its root on-chain; returns it with its readyAt. */
  closeAndPropose(): Promise<{ epoch: number; root: Hex; contentHash: Hex; readyAt: number; txHash: Hex }>;
  /** Moves chain time past the pending root's readyAt and marks the epoch claimable in the database. */
  passTimelock(epoch: number): Promise<void>;
  balanceOf(token: Address, who: Address): Promise<bigint>;
  /** Calls an argument-less splitter function (pause, unpause) as development account `i`. */
  asAccount(i: number, fn: "pause" | "unpause"): Promise<void>;
  close(): Promise<void>;
};

const TIMELOCK = 3600;
const RPC = () => hre.network.provider;

async function deployToken(name: string, symbol: string): Promise<Address> {
  const { publicClient, walletClient } = clientsFor(ACCOUNTS.admin);
  const artifact = JSON.parse(
    fs.readFileSync(
      path.join(hre.config.paths.artifacts, "contracts/mocks/MockERC20Permit.sol/MockERC20Permit.json"),
      "utf8",
    ),
  ) as { bytecode: Hex };
  const hash = await walletClient!.deployContract({
    abi: testStablecoinAbi,
    bytecode: artifact.bytecode,
    args: [name, symbol],
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  return receipt.contractAddress!;
}

async function send(from: number, to: Address, data: Hex): Promise<Hex> {
  const { publicClient, walletClient } = clientsFor(from);
  const hash = await walletClient!.sendTransaction({ to, data });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`transaction to ${to} reverted`);
  return hash;
}

export async function startWebStack(opts: { depositOnChain?: boolean } = {}): Promise<WebStack> {
  const accounts = Object.fromEntries(
    Object.entries(ACCOUNTS).map(([k, i]) => [k, devAccount(i)]),
  ) as unknown as WebStack["accounts"];
  const stack = await deployStack(TIMELOCK);
  const teur = await deployToken("Test EUR", "TEUR");
  await send(
    ACCOUNTS.admin,
    stack.splitter,
    encodeFunctionData({ abi: royaltySplitterAbi, functionName: "setTokenAllowed", args: [teur, true] }),
  );

  const rpcServer = new JsonRpcServer({ hostname: "127.0.0.1", port: 0, provider: RPC() });
  const { port: rpcPort } = await rpcServer.listen();
  const rpcUrl = `http://127.0.0.1:${rpcPort}`;

  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const host = `127.0.0.1:${port}`;
  const common = createCommon(
    loadConfig({
      LOG_LEVEL: process.env.WEB_STACK_LOG_LEVEL ?? "silent",
      SIWE_DOMAIN: host,
      BOOTSTRAP_OPERATOR: accounts.operator.address,
      SPLITTER_ADDRESS: stack.splitter,
      CHAIN_ID: "31337",
      WEB_RPC_URL: rpcUrl,
    }),
    { defaultMetrics: false },
  );
  const db = await openTestDatabase("pglite");
  const app = createApp({ common, db });
  await bootstrapOperator({ prisma: db.prisma, common });
  server.on("request", app);
  const baseUrl = `http://${host}`;

  async function call<T>(method: string, urlPath: string, token?: string, body?: unknown): Promise<T> {
    const res = await fetch(baseUrl + urlPath, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${urlPath} → ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
  async function signIn(who: PrivateKeyAccount): Promise<string> {
    const { nonce } = await call<{ nonce: string }>("POST", "/v1/auth/nonce", undefined, {});
    const message = createSiweMessage({
      domain: host,
      address: who.address,
      statement: "Sign in to Tributary",
      uri: baseUrl,
      version: "1",
      chainId: 31337,
      nonce,
    });
    const signature = await who.signMessage({ message });
    return (await call<{ token: string }>("POST", "/v1/auth/verify", undefined, { message, signature })).token;
  }

  // The marketplace, through the API.
  const tok = {
    operator: await signIn(accounts.operator),
    creator: await signIn(accounts.creator),
    contributor: await signIn(accounts.contributor),
    buyer: await signIn(accounts.buyer),
  };
  await call("POST", "/v1/creators", tok.creator, { name: "Ada (creator)" });
  await call("POST", "/v1/creators", tok.contributor, { name: "Grace (contributor)" });
  await call("POST", "/v1/buyers", tok.buyer, { name: "Model Lab" });
  const datasetId = `0x${"d1".repeat(32)}`;
  await call("POST", "/v1/datasets", tok.creator, {
    id: datasetId,
    name: "Field recordings",
    shares: [
      { account: accounts.creator.address, bps: 6000 },
      { account: accounts.contributor.address, bps: 4000 },
    ],
  });
  await call("POST", `/v1/datasets/${datasetId}/consents`, tok.creator, {
    subject: "speaker-17",
    scope: "training",
    evidenceHash: `0x${"e1".repeat(32)}`,
    grantedAt: new Date(Date.now() - 2 * 3_600_000).toISOString(),
  });
  const offer = (token: Address, price: string) =>
    call<{ id: string }>("POST", "/v1/offers", tok.creator, {
      model: "one_time",
      price,
      token,
      scope: "training",
      durationSeconds: 86_400,
      datasets: [{ datasetId, weightBps: 10_000 }],
    });
  // TUSD: 1,000.000000000000000003 (odd, so the split leaves remainders); TEUR: 7 base units, which must never show as 0.
  const prices = { tusd: 1_000_000_000_000_000_000_003n, teur: 7n };
  const offers = {
    tusd: await offer(stack.stablecoin, prices.tusd.toString()),
    teur: await offer(teur, prices.teur.toString()),
  };
  const startsAt = new Date(Math.floor((Date.now() - 3_600_000) / 1000) * 1000).toISOString();
  const licenses = {
    tusd: (await call<{ licenseId: Hex }>("POST", "/v1/licenses", tok.buyer, { offerId: offers.tusd.id, startsAt }))
      .licenseId,
    teur: (await call<{ licenseId: Hex }>("POST", "/v1/licenses", tok.buyer, { offerId: offers.teur.id, startsAt }))
      .licenseId,
  };

  const indexer = createDepositIndexer({
    common: { logger: silentLogger },
    db,
    clients: clientsFor(0),
    config: {
      splitter: stack.splitter,
      startBlock: stack.deployBlock,
      confirmations: 1,
      reorgDepth: 4,
      maxBlockRange: 1000,
      pollIntervalMs: 50,
    },
  });
  const buyer = ACCOUNTS.buyer;
  for (const [token, licenseId, amount] of [
    [stack.stablecoin, licenses.tusd, prices.tusd],
    [teur, licenses.teur, prices.teur],
  ] as const) {
    await send(
      buyer,
      token,
      encodeFunctionData({
        abi: testStablecoinAbi,
        functionName: "mint",
        args: [accounts.buyer.address, amount * 10n],
      }),
    );
    if (opts.depositOnChain === false) continue;
    await send(
      buyer,
      token,
      encodeFunctionData({ abi: testStablecoinAbi, functionName: "approve", args: [stack.splitter, amount] }),
    );
    await send(
      buyer,
      stack.splitter,
      encodeFunctionData({ abi: royaltySplitterAbi, functionName: "deposit", args: [licenseId, token, amount] }),
    );
  }
  await indexer.runOnce();

  const { publicClient } = clientsFor(0);
  return {
    baseUrl,
    rpcUrl,
    splitter: stack.splitter,
    db,
    accounts,
    licenses,
    tokens: { tusd: { address: stack.stablecoin, symbol: "TUSD" }, teur: { address: teur, symbol: "TEUR" } },
    signIn,
    call,
    indexDeposits: async () => void (await indexer.runOnce()),
    async closeAndPropose() {
      const closed = await call<{
        epoch: number;
        root: Hex;
        contentHash: Hex;
        totals: { token: Address; cumulative: string }[];
      }>("POST", "/v1/operator/epochs", tok.operator, {
        endsAt: new Date(Math.floor(Date.now() / 1000) * 1000).toISOString(),
      });
      const totals = closed.totals
        .map((t) => ({ token: t.token, total: BigInt(t.cumulative) }))
        .sort((a, b) => (BigInt(a.token) < BigInt(b.token) ? -1 : 1));
      // The root publisher is another branch's work: the poster proposes here, as it will.
      const txHash = await send(
        ACCOUNTS.poster,
        stack.splitter,
        encodeFunctionData({
          abi: royaltySplitterAbi,
          functionName: "proposeRoot",
          args: [closed.root, closed.contentHash, closed.epoch, totals],
        }),
      );
      await db.prisma.epoch.update({ where: { id: closed.epoch }, data: { status: "submitted", txHash } });
      const [, , readyAt] = await publicClient.readContract({
        address: stack.splitter,
        abi: royaltySplitterAbi,
        functionName: "pendingRoot",
      });
      return {
        epoch: closed.epoch,
        root: closed.root,
        contentHash: closed.contentHash,
        readyAt: Number(readyAt),
        txHash,
      };
    },
    async passTimelock(epoch) {
      await rpc("evm_increaseTime", [TIMELOCK + 1]);
      await rpc("evm_mine");
      await db.prisma.epoch.update({ where: { id: epoch }, data: { status: "claimable" } });
    },
    balanceOf: (token, who) =>
      publicClient.readContract({ address: token, abi: testStablecoinAbi, functionName: "balanceOf", args: [who] }),
    asAccount: async (i, fn) =>
      void (await send(i, stack.splitter, encodeFunctionData({ abi: royaltySplitterAbi, functionName: fn }))),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rpcServer.close();
      await db.close();
    },
  };
}
