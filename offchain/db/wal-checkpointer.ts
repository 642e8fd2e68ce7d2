/**
 * Keeps the embedded PGlite database writing at a steady rate for as long as it runs.
 *
 * Why: PGlite runs PostgreSQL as a single-user backend (`--single`) with no checkpointer process, so nothing ever
 * checkpoints on its own. When the WAL written since the last checkpoint's redo point crosses PostgreSQL's
 * WAL-triggered checkpoint point — `max_wal_size / (1 + checkpoint_completion_target)` segments, i.e. 1 GB / 1.9 =
 * 33 segments of 16 MB (~528 MB) with the defaults — the backend requests a checkpoint from a checkpointer that does
 * not exist and never returns: writes stop for good and the main thread spins at 100 % CPU in PGlite's
 * `performance.now()`-based sleep. Measured here: API ingest ran flat at 23–29k events/s, then 0 events/s for 11+
 * minutes after ~1M usage rows; a bare PGlite script stalls at the same segment, and with `max_wal_size=32MB` it
 * stalls within the first 16 MB segment and was still stuck after 250 s.
 *
 * Fix, two parts:
 * 1. `max_wal_size` is raised (16 GB: the request point moves to ~8.4 GB of WAL since the redo point), so the stall
 *    point is far beyond anything one transaction writes (closing a 1M-leaf epoch writes a few hundred MB);
 * 2. a timer checks the WAL distance since the redo point (`pg_control_checkpoint()`, ~0.3 ms) and runs an explicit
 *    `CHECKPOINT` (60–110 ms measured) once it exceeds `checkpointAfterBytes` (128 MB), which moves the redo point
 *    forward and lets PostgreSQL recycle old segments: WAL on disk stays at a few hundred MB however long it runs.
 *    With explicit checkpoints the same ingest ran flat to 3.6M rows.
 * PGlite serializes top-level queries behind open transactions, so the check never runs inside a caller's
 * transaction; it runs between them.
 */
import type { PGlite } from "@electric-sql/pglite";

export type WalCheckpointOptions = {
  /** `max_wal_size` given to the backend at start (a PostgreSQL size, e.g. "16GB"). */
  maxWalSize: string;
  /** WAL bytes since the last redo point after which the timer checkpoints. */
  checkpointAfterBytes: number;
  /** How often the timer looks; 0 = never (only `checkNow()` checkpoints: tests and the stall control). */
  intervalMs: number;
};

export const DEFAULT_WAL_CHECKPOINTS: WalCheckpointOptions = {
  maxWalSize: "16GB",
  checkpointAfterBytes: 128 * 1024 * 1024,
  intervalMs: 1_000,
};

/** PGlite's own start parameters plus the raised `max_wal_size` (PGlite takes the list whole, not merged). */
export function pgliteStartParams(defaults: readonly string[], opts: WalCheckpointOptions): string[] {
  return [...defaults, "-c", `max_wal_size=${opts.maxWalSize}`];
}

export type WalCheckpointer = {
  /** Checkpoints if the WAL since the redo point exceeds the threshold; resolves to whether it did. */
  checkNow(): Promise<boolean>;
  /** WAL bytes written since the last checkpoint's redo point. */
  walSinceRedo(): Promise<number>;
  readonly checkpoints: number;
  stop(): Promise<void>;
};

export function createWalCheckpointer(
  pglite: PGlite,
  opts: WalCheckpointOptions,
  onError: (err: unknown) => void = () => {},
): WalCheckpointer {
  let checkpoints = 0;
  let stopped = false;
  let running: Promise<boolean> | undefined;

  async function walSinceRedo(): Promise<number> {
    const r = await pglite.query<{ d: string }>(
      "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), redo_lsn)::text AS d FROM pg_control_checkpoint()",
    );
    return Number(r.rows[0].d);
  }

  async function check(): Promise<boolean> {
    if (stopped) return false;
    if ((await walSinceRedo()) < opts.checkpointAfterBytes) return false;
    await pglite.exec("CHECKPOINT");
    checkpoints++;
    return true;
  }

  function checkNow(): Promise<boolean> {
    // One check at a time: a tick that finds the previous one still waiting behind a long transaction joins it.
    running ??= check().finally(() => {
      running = undefined;
    });
    return running;
  }

  const timer =
    opts.intervalMs > 0
      ? setInterval(() => {
          checkNow().catch((err) => {
            if (!stopped) onError(err);
          });
        }, opts.intervalMs)
      : undefined;
  timer?.unref();

  return {
    checkNow,
    walSinceRedo,
    get checkpoints() {
      return checkpoints;
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await running?.catch(() => false);
    },
  };
}
