/**
 * A development chain that survives restarts. Hardhat 2.29's network (EDR) has no state dump/load, but it is
 * deterministic: the same genesis date, the same requests and the same block timestamps give the same blocks,
 * hashes included. So every request that changes the chain (signed and unsigned transactions, evm_* / hardhat_*
 * calls) is appended to a JSON-lines journal with the timestamps of the blocks it mined and the head hash after
 * it, and a restart replays the journal on a fresh network created with the recorded genesis date.
 *
 * A replay that does not reproduce the recorded head hash (a different Hardhat version, a hand-edited journal) is
 * a new chain: `replayJournal` refuses it and the caller starts a new one, which the database's chain binding
 * then sees as new (another genesis), so old records are never mixed with it.
 */
import fs from "node:fs";
import type { EIP1193Provider, RequestArguments } from "hardhat/types";
import { ChainError } from "./errors";

export type JournalHeader = { v: 1; chainId: number; initialDate: string };

/** One state-changing request: method, params, block timestamps it mined, head hash and clock offset after it. */
export type JournalEntry = { m: string; p: unknown[]; ts: number[]; h: string; off: number };

/** Calls that would make the journal describe another chain than the one running: refused. */
const REFUSED = new Set(["hardhat_reset", "evm_setIntervalMining"]);

/** evm_* / hardhat_* calls that only read or change this process (logging): not journaled. */
const READ_ONLY = new Set([
  "hardhat_getAutomine",
  "hardhat_metadata",
  "hardhat_getStackTraceFailuresCount",
  "hardhat_setLoggingEnabled",
  "hardhat_addCompilationResult",
]);

/** Whether a request changes chain state, so a replay must repeat it. */
export function changesChain(method: string, params?: unknown): boolean {
  if (method === "evm_increaseTime" && Array.isArray(params) && Number(params[0]) === 0) return false; // a read
  if (method === "eth_sendRawTransaction" || method === "eth_sendTransaction") return true;
  return (method.startsWith("evm_") || method.startsWith("hardhat_")) && !READ_ONLY.has(method);
}

type Head = { number: number; hash: string; timestamp: number };

async function head(provider: EIP1193Provider): Promise<Head> {
  const b = (await provider.request({ method: "eth_getBlockByNumber", params: ["latest", false] })) as {
    number: string;
    hash: string;
    timestamp: string;
  };
  return { number: Number(b.number), hash: b.hash, timestamp: Number(b.timestamp) };
}

async function timestampsAfter(provider: EIP1193Provider, from: number, to: number): Promise<number[]> {
  const out: number[] = [];
  for (let n = from + 1; n <= to; n++) {
    const b = (await provider.request({ method: "eth_getBlockByNumber", params: [`0x${n.toString(16)}`, false] })) as {
      timestamp: string;
    };
    out.push(Number(b.timestamp));
  }
  return out;
}

/** The network's clock offset (seconds ahead of the wall clock): evm_increaseTime(0) returns the total. */
async function clockOffset(provider: EIP1193Provider): Promise<number> {
  return Number(await provider.request({ method: "evm_increaseTime", params: [0] }));
}

export function readJournal(file: string): { header: JournalHeader; entries: JournalEntry[] } | undefined {
  if (!fs.existsSync(file)) return undefined;
  const lines = fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
  if (lines.length === 0) return undefined;
  const header = JSON.parse(lines[0]) as JournalHeader;
  if (header.v !== 1)
    throw new ChainError("CHAIN_DEVCHAIN_JOURNAL_VERSION", `unknown journal version ${String(header.v)}`);
  // A torn last line (the process died mid-write) is dropped: its request was never answered.
  const entries: JournalEntry[] = [];
  for (const line of lines.slice(1)) {
    try {
      entries.push(JSON.parse(line) as JournalEntry);
    } catch {
      break;
    }
  }
  return { header, entries };
}

export function writeJournalHeader(file: string, header: JournalHeader): void {
  fs.writeFileSync(file, `${JSON.stringify(header)}\n`);
}

/**
 * Replays `entries` on a network created with the header's genesis date: each block gets its recorded timestamp,
 * and the head hash after each entry must be the recorded one. Ends with the recorded clock offset restored, plus
 * the time the chain was down (a real chain's clock does not stop either).
 */
export async function replayJournal(provider: EIP1193Provider, entries: JournalEntry[]): Promise<{ blocks: number }> {
  let blocks = 0;
  for (const [i, e] of entries.entries()) {
    if (e.ts.length > 0) await provider.request({ method: "evm_setNextBlockTimestamp", params: [e.ts[0]] });
    // A request that failed when it was recorded (a reverted transaction) fails again the same way.
    await provider.request({ method: e.m, params: e.p }).catch(() => undefined);
    blocks += e.ts.length;
    const now = await head(provider);
    if (now.hash !== e.h) {
      throw new ChainError(
        "CHAIN_DEVCHAIN_REPLAY_DIVERGED",
        `journal entry ${i + 1} (${e.m}) gave head ${now.hash}, recorded ${e.h}: not the recorded chain`,
      );
    }
  }
  const last = entries.at(-1);
  if (last) {
    const behind = last.off - (await clockOffset(provider));
    if (behind > 0) await provider.request({ method: "evm_increaseTime", params: [behind] });
  }
  return { blocks };
}

/**
 * Wraps `provider` so each state-changing request is appended (and fsynced) to `file` before it is answered.
 * Journaled requests run one at a time, so the blocks an entry records are the blocks it mined.
 */
export type JournalingProvider = EIP1193Provider & { close(): Promise<void> };

export function journalingProvider(provider: EIP1193Provider, file: string): JournalingProvider {
  const fd = fs.openSync(file, "a");
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();
  const record = async (args: RequestArguments): Promise<unknown> => {
    const before = await head(provider);
    let result: unknown;
    let failure: { error: unknown } | undefined;
    try {
      result = await provider.request(args);
    } catch (error) {
      failure = { error };
    }
    const after = await head(provider);
    const ts = await timestampsAfter(provider, before.number, after.number);
    // A request that failed without touching the chain (bad nonce, malformed) need not be replayed.
    const changed = !failure || ts.length > 0 || after.hash !== before.hash;
    if (changed) {
      const params = Array.isArray(args.params) ? (args.params as unknown[]) : [];
      const entry: JournalEntry = { m: args.method, p: params, ts, h: after.hash, off: await clockOffset(provider) };
      fs.writeSync(fd, `${JSON.stringify(entry)}\n`);
      fs.fdatasyncSync(fd);
    }
    if (failure) throw failure.error;
    return result;
  };
  // Subscriptions (eth_subscribe notifications) stay the network's own: listeners are passed through.
  const wrapped = {
    on: (event: string, listener: (...a: unknown[]) => void) => {
      provider.on(event, listener);
      return wrapped;
    },
    addListener: (event: string, listener: (...a: unknown[]) => void) => {
      provider.addListener(event, listener);
      return wrapped;
    },
    removeListener: (event: string, listener: (...a: unknown[]) => void) => {
      provider.removeListener(event, listener);
      return wrapped;
    },
  } as unknown as JournalingProvider;
  wrapped.request = (args: RequestArguments) => {
    if (REFUSED.has(args.method)) {
      return Promise.reject(
        new ChainError(
          "CHAIN_DEVCHAIN_METHOD_REFUSED",
          `${args.method} is not available on the journaled development chain`,
        ),
      );
    }
    if (!changesChain(args.method, args.params)) return provider.request(args);
    if (closed) return Promise.reject(new ChainError("CHAIN_DEVCHAIN_CLOSED", "the development chain is stopped"));
    const run = queue.then(() => record(args));
    queue = run.catch(() => undefined);
    return run;
  };
  wrapped.close = async () => {
    closed = true;
    await queue;
    fs.closeSync(fd);
  };
  return wrapped;
}
