/**
 * `tributary verify receipt <receipt> <distribution>` — a usage-inclusion receipt (a buyer's event, or a creator's
 * aggregate) against the `usageRoot` in its epoch's distribution file, the file against the content hash and root
 * proposed on chain. Needs neither our API nor our database: the receipt, the file and an RPC endpoint.
 */
import fs from "node:fs";
import type { Hex } from "viem";
import { verifyUsageReceipt } from "../../merkle/usage-commitment";
import { unwrapUsageReceipt, usageReceiptEpoch } from "../../merkle/usage-receipt-input";
import type { Context } from "../context";
import { verifyDistributionFile } from "./verify";

export type ReceiptVerification = {
  receipt: string;
  epoch: number | null;
  usageRoot: Hex | null;
  /** The file hashes to the epoch's committed content hash and rebuilds the proposed root. */
  fileAnchored: boolean;
  receiptValid: boolean;
  reason?: string;
  ok: boolean;
};

export async function verifyReceiptFile(ctx: Context, receiptPath: string, file: string): Promise<ReceiptVerification> {
  let receipt: unknown;
  try {
    receipt = JSON.parse(fs.readFileSync(receiptPath, "utf8"));
  } catch {
    return fail(receiptPath, "the receipt is not JSON");
  }
  receipt = unwrapUsageReceipt(receipt);
  const anchored = await verifyDistributionFile(ctx, file);
  const usageRoot = anchored.usageRoot ?? null;
  const epoch = anchored.epoch;
  const base = { receipt: receiptPath, epoch, usageRoot, fileAnchored: anchored.ok };
  if (usageRoot === null)
    return { ...base, receiptValid: false, reason: "the file's header has no usageRoot", ok: false };
  if (usageReceiptEpoch(receipt) !== epoch)
    return { ...base, receiptValid: false, reason: `the receipt is not of epoch ${epoch}`, ok: false };
  const v = verifyUsageReceipt(receipt, usageRoot);
  return v.ok
    ? { ...base, receiptValid: true, ok: anchored.ok }
    : { ...base, receiptValid: false, reason: v.reason, ok: false };
}

function fail(receipt: string, reason: string): ReceiptVerification {
  return { receipt, epoch: null, usageRoot: null, fileAnchored: false, receiptValid: false, reason, ok: false };
}
