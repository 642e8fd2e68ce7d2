/**
 * Chain fixtures for offchain/chain tests: viem clients with local (signing) accounts on the in-process Hardhat
 * network, a freshly deployed development stack, and the database rows deposits must reference.
 */
import crypto from "node:crypto";
import hre from "hardhat";
import { custom, encodeFunctionData, parseUnits, type Address, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { createChainClients, type ChainClients } from "../../../offchain/chain/clients";
import { deployDevStack, type DevStack } from "../../../offchain/chain/deploy";
import { royaltySplitterAbi, testStablecoinAbi } from "../../../offchain/chain/abi";
import type { Db } from "../../../offchain/db/client";

const MNEMONIC = "test test test test test test test test test test test junk";
export const devAccount = (i: number) => mnemonicToAccount(MNEMONIC, { addressIndex: i });

export const ADMIN = devAccount(0);
export const POSTER = devAccount(1);
export const GUARDIAN = devAccount(2);
export const BUYER = devAccount(3);

/**
 * The in-process provider as viem expects a node to answer: its revert errors carry `data` but no JSON-RPC
 * `code`, so viem could not decode custom errors. Over HTTP (hardhat node, real nodes) errors carry code 3.
 */
const inProcess = {
  async request(args: { method: string; params?: unknown }): Promise<unknown> {
    try {
      return await hre.network.provider.request(args as { method: string; params?: unknown[] });
    } catch (err) {
      const e = err as { code?: number; data?: unknown; message?: string };
      if (e.code === undefined && typeof e.data === "string" && e.data.startsWith("0x")) {
        throw Object.assign(new Error(e.message), { code: 3, data: e.data });
      }
      throw err;
    }
  },
};

/** Clients over the in-process network signing as account `i`. */
export function clientsFor(i: number): ChainClients {
  return createChainClients({ transport: custom(inProcess), account: devAccount(i), pollingIntervalMs: 20 });
}

export async function rpc<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
  return (await hre.network.provider.request({ method, params })) as T;
}

export const mine = (blocks = 1) => rpc("hardhat_mine", [`0x${blocks.toString(16)}`]);

export async function deployStack(timelockSeconds = 3600): Promise<DevStack> {
  await hre.run("compile", { quiet: true });
  return deployDevStack({
    clients: clientsFor(0),
    poster: POSTER.address,
    guardian: GUARDIAN.address,
    timelockSeconds,
    artifactsDir: hre.config.paths.artifacts,
  });
}

/** Creates the creator, buyer, offer and license rows a deposit for a new random licenseId needs. */
export async function createLicense(db: Db, token: Address): Promise<Hex> {
  const licenseId = `0x${crypto.randomBytes(32).toString("hex")}` as Hex;
  const suffix = crypto.randomBytes(4).toString("hex");
  const creator = await db.prisma.creator.create({ data: { address: `0x${suffix.padStart(40, "c")}`, name: "c" } });
  const buyer = await db.prisma.buyer.create({ data: { address: `0x${suffix.padStart(40, "b")}`, name: "b" } });
  const common = { model: "one_time" as const, token: token.toLowerCase(), scope: "training" as const, price: "1" };
  const offer = await db.prisma.offer.create({
    data: { ...common, creatorId: creator.id, durationSeconds: 86_400 },
  });
  await db.prisma.license.create({
    data: {
      ...common,
      id: licenseId,
      offerId: offer.id,
      buyerId: buyer.id,
      exclusive: false,
      startsAt: new Date(),
      endsAt: new Date(Date.now() + 86_400_000),
    },
  });
  return licenseId;
}

/**
 * Mints, approves and deposits `amount` whole TUSD from dev account `from` (default: the buyer), signing each
 * transaction locally; returns the deposit's hash and the three signed transactions, so a test can broadcast
 * them again after a reorg.
 */
export async function deposit(
  stack: DevStack,
  licenseId: Hex,
  amount: bigint,
  from = 3,
): Promise<{ hash: Hex; raw: Hex[] }> {
  const { publicClient, walletClient } = clientsFor(from);
  const w = walletClient!;
  const value = parseUnits(amount.toString(), 18);
  const calls = [
    {
      to: stack.stablecoin,
      data: encodeFunctionData({ abi: testStablecoinAbi, functionName: "mint", args: [w.account.address, value] }),
    },
    {
      to: stack.stablecoin,
      data: encodeFunctionData({ abi: testStablecoinAbi, functionName: "approve", args: [stack.splitter, value] }),
    },
    {
      to: stack.splitter,
      data: encodeFunctionData({
        abi: royaltySplitterAbi,
        functionName: "deposit",
        args: [licenseId, stack.stablecoin, value],
      }),
    },
  ];
  const raw: Hex[] = [];
  let hash: Hex = "0x";
  for (const call of calls) {
    const request = await w.prepareTransactionRequest({ ...call, gas: 200_000n });
    const signed = await w.signTransaction(request);
    raw.push(signed);
    hash = await w.sendRawTransaction({ serializedTransaction: signed });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error("deposit step reverted");
  }
  return { hash, raw };
}

/** Awaits `promise`, expecting it to reject with a message containing `text`; returns the error. */
export async function expectRejection(promise: Promise<unknown>, text: string): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof Error && err.message.includes(text)) return err;
    throw new Error(`rejected with the wrong error (wanted "${text}"): ${String(err)}`);
  }
  throw new Error(`expected a rejection with "${text}"`);
}

/** Inserts a computed epoch whose root the publisher will post (root and content hash are arbitrary bytes32). */
export async function createEpoch(db: Db, id: number, totals: Record<string, bigint>): Promise<{ root: Hex }> {
  const root = `0x${crypto.randomBytes(32).toString("hex")}` as Hex;
  await db.prisma.epoch.create({
    data: {
      id,
      startsAt: new Date(0),
      endsAt: new Date(),
      status: "computed",
      root,
      contentHash: `0x${crypto.randomBytes(32).toString("hex")}`,
      // The form the epoch close stores (the settlement result's totals, amounts as decimal strings).
      totals: Object.entries(totals).map(([t, v]) => ({
        token: t.toLowerCase(),
        amount: v.toString(),
        cumulative: v.toString(),
      })),
      leafCount: 1,
      report: {},
      state: {},
      distributionSize: 1n,
      closedBy: "test",
    },
  });
  return { root };
}

export const PG_SERVER = process.env.TEST_PG_URL ?? "postgres://root@127.0.0.1:5432";

/** Whether the PostgreSQL test server answers (tests that need it skip otherwise). */
export async function postgresReachable(): Promise<boolean> {
  const { Client } = await import("pg");
  const c = new Client({ connectionString: `${PG_SERVER}/postgres`, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}
