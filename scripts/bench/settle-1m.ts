/** The 1,000,000-leaf phase of `bench:settle`, run in a fresh child process so its peak RSS is its own. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { canonicalizeLeaves } from "../../offchain/merkle/canonical";
import { distributionFromCanonical, type DistributionMeta } from "../../offchain/merkle/distribution";
import { writeDistributionFile } from "../../offchain/merkle/distribution-file";
import { readDistributionFile } from "../../offchain/merkle/distribution-reader";
import { LEAF_ENCODING, verifyProof } from "../../offchain/merkle/leaf";
import { syntheticAllocations } from "./merkle-fixtures";
import { mainThreadCpuMs } from "./thread-cpu";

export interface MillionResult {
  allMs: number;
  /** CPU time of the timed part, all threads: wall ≫ CPU means the machine was busy with others. */
  allCpuMs: number;
  /** CPU time of the main thread alone (NaN off Linux): the critical path when the other core is free. */
  mainCpuMs: number;
  phasesMs: Record<string, number>;
  peakRssMB: number;
  fileBytes: number;
  readBackMs: number;
}

export async function runMillion(meta: DistributionMeta, n = 1_000_000): Promise<MillionResult> {
  const values = syntheticAllocations(n);
  const dir = mkdtempSync(join(tmpdir(), "tributary-bench-"));
  try {
    const main0 = mainThreadCpuMs();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const leaves = canonicalizeLeaves(values);
    const t1 = performance.now();
    const d = await distributionFromCanonical(meta, leaves);
    const t2 = performance.now();
    const file = join(dir, "distribution.ndjson");
    const written = await writeDistributionFile(d, file);
    const t3 = performance.now();
    const picks = Array.from({ length: 5 }, () => values[Math.floor(Math.random() * n)]);
    const claims = picks.map((v) => d.claimFor(v.account, v.token));
    const t4 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    const mainCpuMs = mainThreadCpuMs() - main0;
    const peakRssMB = process.resourceUsage().maxRSS / 1024;

    // Outside the timing: the proofs must verify, and the file must rebuild the same root.
    claims.forEach((c, k) => {
      if (c === undefined || c.cumulativeAmount !== picks[k].cumulativeAmount) throw new Error("claim lookup failed");
      if (!verifyProof(d.root, c, c.proof)) throw new Error("proof does not verify (viem)");
      if (!StandardMerkleTree.verify(d.root, [...LEAF_ENCODING], [c.account, c.token, c.cumulativeAmount], c.proof)) {
        throw new Error("proof does not verify (OpenZeppelin)");
      }
    });
    const t5 = performance.now();
    const read = await readDistributionFile(file);
    const readBackMs = performance.now() - t5;
    if (read.distribution.root !== d.root || read.contentHash !== written.contentHash)
      throw new Error("file does not round-trip");

    return {
      allMs: t4 - t0,
      allCpuMs: (cpu.user + cpu.system) / 1000,
      mainCpuMs,
      phasesMs: { canonical: t1 - t0, "hash+tree": t2 - t1, file: t3 - t2, "5 proofs": t4 - t3 },
      peakRssMB,
      fileBytes: written.bytes,
      readBackMs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
