/**
 * The PGlite write stall (wal-checkpointer.ts) cannot come back: with a `max_wal_size` so small that PostgreSQL would
 * request its (never-answered) checkpoint after 16–32 MB of WAL, the client still writes ~120 MB through
 * Prisma, because its checkpoints keep the WAL since the redo point under one 16 MB segment. Without them the same
 * writer stalls for good in its first segments (the control below, which waits out the 15-s stall watchdog).
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { expect } from "chai";
import { ROWS_PER_BATCH } from "./fixtures/wal-writer";

const WRITER = path.join(__dirname, "fixtures", "wal-writer.ts");
const SEGMENT = 16 * 1024 * 1024;
// A writer that prints nothing for this long is stalled: a 10,000-row batch takes well under a second even on a busy
// machine, and a stalled one never ends (it spun for 250 s+ when measured). Short, so a lost checkpointer fails the
// test in seconds rather than minutes.
const SILENCE_MS = 15_000;

type Line = { batch?: number; done?: boolean; rows?: number; maxWalSinceRedo: number; checkpoints: number };

function runWriter(batches: number, checkpoints: "on" | "off"): Promise<{ lines: Line[]; stalled: boolean }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-wal-"));
  const child = spawn(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", WRITER, dir, String(batches), checkpoints],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const lines: Line[] = [];
  return new Promise((resolve, reject) => {
    let stalled = false;
    let watchdog = setTimeout(stall, SILENCE_MS);
    function stall() {
      stalled = true;
      child.kill("SIGKILL");
    }
    readline.createInterface({ input: child.stdout! }).on("line", (l) => {
      lines.push(JSON.parse(l) as Line);
      clearTimeout(watchdog);
      watchdog = setTimeout(stall, SILENCE_MS);
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(watchdog);
      fs.rmSync(dir, { recursive: true, force: true });
      if (!stalled && code !== 0) reject(new Error(`writer exited with ${code}`));
      else resolve({ lines, stalled });
    });
  });
}

describe("offchain/db/wal-checkpointer", () => {
  it("keeps PGlite writing past many times its WAL-triggered checkpoint point (no stall)", async () => {
    const batches = 30;
    const { lines, stalled } = await runWriter(batches, "on");
    expect(stalled, "writer stopped making progress").to.equal(false);
    const done = lines.at(-1)!;
    expect(done.done).to.equal(true);
    expect(done.rows).to.equal(batches * ROWS_PER_BATCH);
    expect(done.checkpoints).to.be.greaterThan(5);
    // The property behind the fix: the backend never got near the point where it asks for a checkpoint.
    expect(done.maxWalSinceRedo).to.be.lessThan(SEGMENT);
  });

  // The control shows these small settings do reproduce the stall, so the test above could fail: without the
  // checkpoints the same writer stops within its first WAL segments and is killed after SILENCE_MS.
  it("control: the same writer without checkpoints stalls", async () => {
    const { lines, stalled } = await runWriter(30, "off");
    expect(stalled).to.equal(true);
    expect(lines.length).to.be.lessThan(30);
  });
});
