/**
 * A minimal marketplace written straight through Prisma (the epochs stage reads rows; it does not care how they got
 * there): one creator with one dataset split 60/40, one one-time license over it, and confirmed deposits.
 */
import crypto from "node:crypto";
import type { Hex } from "viem";
import { createCommon, type Common } from "../../../offchain/common";
import { loadConfig } from "../../../offchain/config";
import type { EpochsDeps } from "../../../offchain/epochs";
import { openTestDatabase, type TestDb } from "../helpers/database";

export const TOKEN = "0x" + "7e".repeat(20);
export const TREASURY = "0x" + "fe".repeat(20);
export const SPLITTER = "0x" + "5b".repeat(20);
export const OWNER = "0x" + "a1".repeat(20);
export const CONTRIBUTOR = "0x" + "c2".repeat(20);
export const DATASET = "0x" + "d1".padStart(64, "0");
export const FEE = 1_000_000n;

export type EpochsFixture = { db: TestDb; common: Common; deps: EpochsDeps; licenseId: Hex; licenseStart: Date };

/** The fixture's service config (extra environment on top, e.g. the file store's folder). */
export function epochsCommon(env: Record<string, string> = {}): Common {
  return createCommon(
    loadConfig({
      LOG_LEVEL: "silent",
      TREASURY_ADDRESS: TREASURY,
      SPLITTER_ADDRESS: SPLITTER,
      PLATFORM_FEE_BPS: "250",
      ...env,
    }),
    { defaultMetrics: false },
  );
}

/** The fixture in a fresh test database, or in `db` (already open and migrated; closed with the fixture). */
export async function openEpochsFixture(db?: TestDb, common = epochsCommon()): Promise<EpochsFixture> {
  db ??= await openTestDatabase();
  const { prisma } = db;
  const creator = await prisma.creator.create({ data: { address: OWNER, name: "Owner" } });
  const buyer = await prisma.buyer.create({ data: { address: "0x" + "b0".repeat(20), name: "Buyer" } });
  await prisma.dataset.create({
    data: {
      id: DATASET,
      ownerId: creator.id,
      name: "Speech",
      shares: {
        create: [
          { account: OWNER, bps: 6000 },
          { account: CONTRIBUTOR, bps: 4000 },
        ],
      },
    },
  });
  const terms = { model: "one_time" as const, token: TOKEN, scope: "training" as const, price: FEE.toString() };
  const offer = await prisma.offer.create({ data: { ...terms, creatorId: creator.id, durationSeconds: 86_400 } });
  const licenseId = `0x${crypto.randomBytes(32).toString("hex")}` as Hex;
  const licenseStart = new Date(Math.floor((Date.now() - 3_600_000) / 1000) * 1000);
  await prisma.license.create({
    data: {
      ...terms,
      id: licenseId,
      offerId: offer.id,
      buyerId: buyer.id,
      exclusive: false,
      startsAt: licenseStart,
      endsAt: new Date(licenseStart.getTime() + 86_400_000),
      datasets: { create: [{ datasetId: DATASET, weightBps: 10_000 }] },
    },
  });
  return { db, common, deps: { prisma, common }, licenseId, licenseStart };
}

let logIndex = 0;

/** A confirmed on-chain deposit towards the fixture's license. */
export async function confirmedDeposit(f: EpochsFixture, amount: bigint): Promise<void> {
  await f.db.prisma.deposit.create({
    data: {
      licenseId: f.licenseId,
      token: TOKEN,
      amount: amount.toString(),
      payer: "0x" + "b0".repeat(20),
      txHash: `0x${crypto.randomBytes(32).toString("hex")}`,
      logIndex: logIndex++,
      blockNumber: 10n,
      blockHash: "0x" + "cd".repeat(32),
      state: "confirmed",
    },
  });
}

/** An in-memory logger that records (level, message, object) for assertions on what was logged and how often. */
export function recordingLogger() {
  const lines: { level: string; msg: string; obj: object }[] = [];
  const at =
    (level: string) =>
    (obj: object, msg = "") =>
      lines.push({ level, msg, obj });
  return { lines, logger: { info: at("info"), warn: at("warn"), error: at("error"), debug: at("debug") } };
}
