/**
 * `npm run bench:settle`: Merkle distribution figures for issue 3, every baseline measured in this run.
 *
 * - 100,000 leaves: our builder vs `@openzeppelin/merkle-tree` StandardMerkleTree vs merkletreejs
 *   (sortPairs, leaves hashed with viem as users do), time to root and to all proofs, medians.
 * - 1,000,000 leaves, each run in a fresh child process (clean peak RSS): canonical order + leaf hashing
 *   + tree + distribution file written to a temp folder with its content hash + 5 random proofs.
 *
 * Writes bench/results/settle.json (read-modify-write, so keys written by other benches survive).
 * Environment: BENCH_OURS_RUNS (5), BENCH_MTJS_RUNS (3), BENCH_OZ_RUNS (1), BENCH_1M_RUNS (3).
 */
import { fork } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { MerkleTree } from "merkletreejs";
import { keccak256, type Address } from "viem";
import { canonicalizeLeaves } from "../../offchain/merkle/canonical";
import { buildDistribution } from "../../offchain/merkle/distribution";
import { LEAF_ENCODING, leafHash } from "../../offchain/merkle/leaf";
import { median, syntheticAllocations } from "./merkle-fixtures";
import { runMillion, type MillionResult } from "./settle-1m";
import { benchAllocate } from "./allocate";

const RESULTS = join(__dirname, "../../bench/results/settle.json");
const N = 100_000;
const META = { chainId: 31337, contract: "0x5fbdb2315678afecb367f032d93f642f64180aa3" as Address, epoch: 1n };
const runs = (name: string, fallback: number) => Math.max(1, Number(process.env[name] ?? fallback));
const ms = (x: number) => `${x.toFixed(1)} ms`;

interface Timing {
  buildMs: number;
  buildCpuMs?: number;
  proofsMs: number;
  note: string;
}

async function ours(values: ReturnType<typeof syntheticAllocations>): Promise<Timing & { root: string }> {
  const t0 = performance.now();
  const d = await buildDistribution(META, values);
  const t1 = performance.now();
  let proofNodes = 0;
  for (let i = 0; i < d.leafCount; i++) proofNodes += d.tree.proof(i).length;
  const t2 = performance.now();
  if (proofNodes === 0) throw new Error("no proofs generated");
  return {
    buildMs: t1 - t0,
    proofsMs: t2 - t1,
    root: d.root,
    note: "canonical sort + hash + tree; all 100k proofs by index",
  };
}

function merkletreejs(
  sorted: { account: Address; token: Address; cumulativeAmount: bigint }[],
): Timing & { root: string } {
  const hashFn = (data: Buffer) => Buffer.from(keccak256(data, "bytes"));
  const t0 = performance.now();
  const leaves = sorted.map((v) => leafHash(v));
  const tree = new MerkleTree(leaves, hashFn, { sortPairs: true });
  const root = tree.getHexRoot();
  const t1 = performance.now();
  const sample = 200;
  const t2 = performance.now();
  for (let k = 0; k < sample; k++) tree.getHexProof(leaves[Math.floor(Math.random() * leaves.length)]);
  const perProof = (performance.now() - t2) / sample;
  return {
    buildMs: t1 - t0,
    proofsMs: perProof * leaves.length,
    root,
    note: `viem leaf hashes + new MerkleTree(sortPairs); proofs: ${sample} getHexProof(leaf) sampled, ${perProof.toFixed(2)} ms each, × 100k`,
  };
}

function openzeppelin(values: { account: Address; token: Address; cumulativeAmount: bigint }[]): Timing {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const tree = StandardMerkleTree.of(
    values.map((v) => [v.account, v.token, v.cumulativeAmount]),
    [...LEAF_ENCODING],
  );
  tree.root;
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const sample = 1000;
  const t2 = performance.now();
  for (let k = 0; k < sample; k++) tree.getProof(Math.floor(Math.random() * values.length));
  const perProof = (performance.now() - t2) / sample;
  return {
    buildMs: t1 - t0,
    buildCpuMs: (cpu.user + cpu.system) / 1000,
    proofsMs: perProof * values.length,
    note: `StandardMerkleTree.of; proofs: ${sample} getProof(index) sampled, ${perProof.toFixed(3)} ms each, × 100k`,
  };
}

function runChild(): Promise<MillionResult> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [], { env: { ...process.env, BENCH_SETTLE_PHASE: "1m" } });
    child.once("message", (m) => resolve(m as MillionResult));
    child.once("error", reject);
    child.once("exit", (code) => code !== 0 && reject(new Error(`1M child exited with ${code}`)));
  });
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(" ");

async function main(): Promise<void> {
  console.log(
    `${availableParallelism()} CPUs, load average ${load()} (other processes slow every figure; compare ratios)`,
  );
  console.log(`1,000,000 leaves (each run in a fresh process), ${runs("BENCH_1M_RUNS", 3)} runs…`);
  const million: MillionResult[] = [];
  for (let r = 0; r < runs("BENCH_1M_RUNS", 3); r++) {
    const m = await runChild();
    million.push(m);
    console.log(
      `  run ${r + 1}: ${ms(m.allMs)} wall, ${ms(m.allCpuMs)} CPU (main thread ${ms(m.mainCpuMs)}; ${Object.entries(
        m.phasesMs,
      )
        .map(([k, v]) => `${k} ${v.toFixed(0)}`)
        .join(
          ", ",
        )}), peak RSS ${m.peakRssMB.toFixed(0)} MB, file ${(m.fileBytes / 1e6).toFixed(1)} MB, read back + rebuilt ${ms(m.readBackMs)}`,
    );
  }

  console.log(`\n100,000 leaves (input in random order)…`);
  const values = syntheticAllocations(N);
  const c = canonicalizeLeaves(values);
  const sorted = Array.from({ length: c.length }, (_, i) => ({
    account: c.accounts[i],
    token: c.tokens[i],
    cumulativeAmount: c.amounts[i],
  }));
  const oursRuns: (Timing & { root: string })[] = [];
  for (let r = 0; r < runs("BENCH_OURS_RUNS", 5); r++) oursRuns.push(await ours(values));
  const mtRuns: (Timing & { root: string })[] = [];
  for (let r = 0; r < runs("BENCH_MTJS_RUNS", 3); r++) mtRuns.push(merkletreejs(sorted));
  if (mtRuns.some((m) => m.root !== oursRuns[0].root)) throw new Error("merkletreejs root differs from ours");
  const ozRuns: Timing[] = [];
  for (let r = 0; r < runs("BENCH_OZ_RUNS", 1); r++) ozRuns.push(openzeppelin(values));

  const med = (xs: Timing[], k: "buildMs" | "proofsMs") => median(xs.map((x) => x[k]));
  const rows = [
    ["ours", oursRuns, oursRuns[0].note],
    ["merkletreejs", mtRuns, mtRuns[0].note],
    ["StandardMerkleTree", ozRuns, ozRuns[0].note],
  ] as const;
  const oursBuild = med(oursRuns, "buildMs");
  const oursProofs = med(oursRuns, "proofsMs");
  for (const [name, xs, note] of rows) {
    const b = med(xs, "buildMs");
    const p = med(xs, "proofsMs");
    console.log(
      `  ${name.padEnd(19)} build ${ms(b).padStart(11)} (${(b / oursBuild).toFixed(1)}× ours)  all proofs ${ms(p).padStart(12)} (${(p / oursProofs).toFixed(1)}× ours)  median of ${xs.length} — ${note}`,
    );
  }
  console.log(
    `  (StandardMerkleTree builds a differently shaped tree — leaves sorted by hash — so its root differs; merkletreejs's root equals ours.)`,
  );

  const ozBuild = med(ozRuns, "buildMs");
  const all1M = median(million.map((m) => m.allMs));
  const peak = Math.max(...million.map((m) => m.peakRssMB));
  const perLeafRatio = ozBuild / N / (all1M / 1_000_000);
  const cpu1M = median(million.map((m) => m.allCpuMs));
  const ozCpu = median(ozRuns.map((o) => o.buildCpuMs ?? o.buildMs));
  const perLeafCpuRatio = ozCpu / N / (cpu1M / 1_000_000);
  console.log(
    `\n1M summary: median ${ms(all1M)} wall (${ms(cpu1M)} CPU, both threads) for everything (target ≤ 5000 ms), peak RSS ${peak.toFixed(0)} MB; load average now ${load()}`,
  );
  console.log(
    `  per leaf, wall: ours 1M all-in ${((all1M / 1e6) * 1000).toFixed(2)} µs vs StandardMerkleTree 100k build ${((ozBuild / N) * 1000).toFixed(2)} µs → ${perLeafRatio.toFixed(1)}× faster (target ≥ 30×)`,
  );
  console.log(
    `  per leaf, CPU:  ours ${((cpu1M / 1e6) * 1000).toFixed(2)} µs vs StandardMerkleTree ${((ozCpu / N) * 1000).toFixed(2)} µs → ${perLeafCpuRatio.toFixed(1)}×`,
  );

  const results: Record<string, number> = {
    oz100kBuildMs: round(ozBuild),
    merkletreejs100kBuildMs: round(med(mtRuns, "buildMs")),
    ours100kBuildMs: round(oursBuild),
    ours1MAllMs: round(all1M),
    ours1MPeakRssMB: round(peak),
    oz100kAllProofsMs: round(med(ozRuns, "proofsMs")),
    merkletreejs100kAllProofsMs: round(med(mtRuns, "proofsMs")),
    ours100kAllProofsMs: round(oursProofs),
    ours1MPerLeafSpeedupVsOz: round(perLeafRatio),
    ours1MAllCpuMs: round(cpu1M),
    oz100kBuildCpuMs: round(ozCpu),
  };
  Object.assign(results, await allocateFigures());
  mkdirSync(join(RESULTS, ".."), { recursive: true });
  const previous = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, "utf8")) as Record<string, number>) : {};
  writeFileSync(RESULTS, `${JSON.stringify({ ...previous, ...results }, null, 2)}\n`);
  console.log(`\nwrote ${RESULTS}`);
}

/** The settlement engine's allocation bench (scripts/bench/allocate.ts), in the same run and JSON file. */
async function allocateFigures(): Promise<Record<string, number>> {
  const { allocate1MMs } = await benchAllocate();
  console.log(`allocate 1M usage aggregates: ${ms(allocate1MMs)} (target ≤ 10000 ms)`);
  return { allocate1MMs: round(allocate1MMs) };
}

const round = (x: number) => Math.round(x * 10) / 10;

if (process.env.BENCH_SETTLE_PHASE === "1m") {
  runMillion(META).then(
    (r) => process.send!(r, () => process.exit(0)),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
} else if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
