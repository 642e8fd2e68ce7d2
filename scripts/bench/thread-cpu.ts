import { readFileSync } from "node:fs";

/**
 * CPU ms used so far by the calling thread's process main thread (Linux /proc, 10 ms ticks; NaN
 * elsewhere). On a machine busy with other work, wall time says little; the main thread's CPU is the
 * pipeline's critical path when the worker threads have a core of their own.
 */
export function mainThreadCpuMs(): number {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, "latin1").split(") ")[1].split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}
