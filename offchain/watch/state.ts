/**
 * The watcher's memory across restarts, one small JSON file on the watcher's own disk: the next block to scan
 * and, per proposed epoch, what the chain said and what the watcher concluded and did. It is rewritten whole
 * (temp file + rename) after every change, so a crash leaves the old or the new version, never half of one.
 */
import fs from "node:fs";
import path from "node:path";
import type { Address, Hex } from "viem";
import { z } from "zod";
import type { CheckFailure, Proposal } from "./checks";
import { WatchStateError } from "./errors";

export type EpochStatus = "waiting" | "passed" | "failed" | "vetoed";

export type EpochRecord = {
  proposal: Proposal;
  status: EpochStatus;
  failures: CheckFailure[];
  /** Our veto transaction, when we sent it. */
  vetoTx?: Hex;
  /** Who vetoed (us or another guardian), from the RootVetoed log. */
  vetoedBy?: Address;
};

export type WatchState = { chainId: number; splitter: Address; nextBlock: bigint; epochs: Map<number, EpochRecord> };

const HEX = z.string().regex(/^0x[0-9a-fA-F]*$/);
const DEC = z.string().regex(/^[0-9]+$/);
const failureSchema = z.object({
  check: z.string(),
  message: z.string(),
  veto: z.boolean(),
  leaf: z.object({ index: z.number().int(), account: HEX, token: HEX, cumulativeAmount: DEC }).optional(),
});
const fileSchema = z.object({
  version: z.literal(1),
  chainId: z.number().int().positive(),
  splitter: HEX,
  nextBlock: DEC,
  epochs: z.array(
    z.object({
      epoch: z.number().int().nonnegative(),
      root: HEX,
      contentHash: HEX,
      readyAt: z.number().int(),
      proposedAt: z.number().int(),
      blockNumber: DEC,
      totals: z.array(z.object({ token: HEX, total: DEC })),
      status: z.enum(["waiting", "passed", "failed", "vetoed"]),
      failures: z.array(failureSchema),
      vetoTx: HEX.optional(),
      vetoedBy: HEX.optional(),
    }),
  ),
});

/** Loads the state of `file`, or a fresh one at `startBlock`; refuses a file of another chain or splitter. */
export function loadWatchState(file: string, chainId: number, splitter: Address, startBlock: bigint): WatchState {
  if (!fs.existsSync(file)) return { chainId, splitter, nextBlock: startBlock, epochs: new Map() };
  let parsed: z.infer<typeof fileSchema>;
  try {
    parsed = fileSchema.parse(JSON.parse(fs.readFileSync(file, "utf8")));
  } catch (cause) {
    throw new WatchStateError(`watch state ${file} is not a valid state file`, { cause });
  }
  if (parsed.chainId !== chainId || parsed.splitter.toLowerCase() !== splitter.toLowerCase()) {
    throw new WatchStateError(
      `watch state ${file} belongs to chain ${parsed.chainId} splitter ${parsed.splitter}, not ${chainId} ${splitter}`,
    );
  }
  const epochs = new Map<number, EpochRecord>();
  for (const e of parsed.epochs) {
    epochs.set(e.epoch, {
      proposal: {
        epoch: e.epoch,
        root: e.root as Hex,
        contentHash: e.contentHash as Hex,
        readyAt: e.readyAt,
        proposedAt: e.proposedAt,
        blockNumber: BigInt(e.blockNumber),
        totals: e.totals.map((t) => ({ token: t.token as Address, total: BigInt(t.total) })),
      },
      status: e.status,
      failures: e.failures as CheckFailure[],
      vetoTx: e.vetoTx as Hex | undefined,
      vetoedBy: e.vetoedBy as Address | undefined,
    });
  }
  return { chainId, splitter, nextBlock: BigInt(parsed.nextBlock), epochs };
}

export function saveWatchState(file: string, state: WatchState): void {
  const body = {
    version: 1,
    chainId: state.chainId,
    splitter: state.splitter,
    nextBlock: state.nextBlock.toString(),
    epochs: [...state.epochs.values()]
      .sort((a, b) => a.proposal.epoch - b.proposal.epoch)
      .map((r) => ({
        ...r.proposal,
        blockNumber: r.proposal.blockNumber.toString(),
        totals: r.proposal.totals.map((t) => ({ token: t.token, total: t.total.toString() })),
        status: r.status,
        failures: r.failures,
        vetoTx: r.vetoTx,
        vetoedBy: r.vetoedBy,
      })),
  };
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, "w");
  try {
    fs.writeSync(fd, `${JSON.stringify(body, null, 1)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}
