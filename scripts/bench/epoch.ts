/**
 * npm run bench:epoch — time from epoch close to claimable proofs in the API, for 100,000 creators on the
 * embedded default (in-process development chain + PGlite in a data folder), timelock excluded (the chain
 * time-travels over it). Baseline, measured in the same run on a fresh stack: the same path at 10,000 creators.
 *
 * Seeding (not timed) writes the marketplace through the service functions, except the 100,000 contributor shares,
 * which are inserted directly in bulk (one INSERT … SELECT FROM unnest) — 10 datasets of 10,000 contributors at
 * 1 bps each, one one-time bundle license over them, deposited on chain and picked up by the deposit indexer.
 *
 * Usage: BENCH_EVENTS (default 1,000,000; a tenth in the baseline) billed events on one per-use license over the
 * same datasets, inserted in bulk (INSERT … SELECT FROM unnest, 100,000 a statement), which the close's usage-inclusion
 * commitment covers (offchain/epochs/usage-commitment.ts: one stored event leaf each plus one aggregate per dataset).
 * Each event's salt and leaf come from `usageEventCommitments`, the function ingestion calls in its transaction; that
 * call is timed and printed as µs/event (the per-event work that moved from the close to ingestion). After the timed
 * path, the commitment is re-run on the same rows to print its split, checked against the root: the close reads the
 * event leaves in the one usage scan that also feeds the settlement (dbRead), so the commitment's cost is its own phase
 * plus the leaves' share of that scan (the scan with leaves minus without, medians of 3): `usageCommitmentMs`.
 *
 * Timed, in order: closeEpoch (the service function the operator route and the scheduler call; phases: DB read,
 * settlement, usage commitment (its own query and tree), tree, file, DB write, commit) → root publisher pass (sign, send, receipt) → [time travel: excluded] →
 * publisher pass that sees the matured root and marks the epoch claimable → first GET /v1/proofs/:account over HTTP
 * (cold: the API loads the distribution from the database). Writes bench/results/epoch.json.
 *
 * Environment: BENCH_CREATORS (100000), the number of creators of the timed run.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { encodeFunctionData, erc20Abi, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createChainClients, royaltySplitterAbi, testStablecoinAbi } from "../../offchain/chain";
import {
  billedUsageLeaves,
  closeEpoch,
  type ClosedEpoch,
  type ClosePhase,
  type NothingToSettle,
} from "../../offchain/epochs";
import { scanBilledUsage } from "../../offchain/epochs/billed-usage";
import { buildUsageTree, usageEventCommitments } from "../../offchain/merkle/usage-commitment";
import { registerBuyer } from "../../offchain/api/services/buyers";
import { createDataset, registerCreator } from "../../offchain/api/services/creators";
import { createOffer } from "../../offchain/api/services/offers";
import { recordAttestation } from "../../offchain/api/services/consent-basis";
import { attestationTypedData } from "../../offchain/api/services/attestation-typed-data";
import { takeLicense } from "../../offchain/api/services/licenses";
import { startTributary, type Tributary } from "../../offchain/main/start";
import { devRpc } from "../../offchain/cli/api-client";

const DATASETS = 10;
const account = (i: number) =>
  ("0x" + crypto.createHash("sha256").update(`creator-${i}`).digest("hex").slice(0, 40)) as Address;

export type Run = {
  creators: number;
  events: number;
  leafCount: number;
  contentHash: Hex;
  closeMs: number;
  closeToClaimableMs: number;
  phases: Record<string, number>;
  /** Seeding: usageEventCommitments over every event (what ingestion now adds per event). */
  ingestCommitmentMs: number;
  /** The usage commitment's parts, re-run after the close on the same rows (not part of `phases`). */
  usageSplit: { leavesInScan: number; scanWithoutLeaves: number; tree: number };
};

/** What bench:scale varies: dataset count, billed events, extra environment (a PostgreSQL URL), the close, hooks. */
export type RunOptions = {
  datasets?: number;
  /** Billed per-use events seeded before the close (default 0). */
  events?: number;
  env?: Record<string, string>;
  /** The close under test (bench:scale's baseline is the close before scoping, which predates the usage commitment). */
  close?: (...args: Parameters<typeof closeEpoch>) => Promise<Omit<ClosedEpoch, "usageRoot"> | NothingToSettle>;
  /** Called once seeding is done, just before the close (bench:scale starts its RSS sampling there). */
  beforeClose?: () => void;
  /** Called with the stack still running once the proofs are served (bench:scale measures proof load there). */
  whileClaimable?: (t: Tributary, run: Run) => Promise<void>;
};

async function seed(
  t: Tributary,
  creators: number,
  events: number,
  DATASETS: number,
): Promise<{ ingestCommitmentMs: number }> {
  const deps = { prisma: t.db.prisma, common: t.common };
  const owner = t.devAccounts![4].address.toLowerCase();
  const buyer = privateKeyToAccount(t.devAccounts![3].privateKey);
  await registerCreator(deps, owner, "Bench owner");
  const buyerRow = await registerBuyer(deps, buyer.address.toLowerCase(), "Bench buyer");
  const per = creators / DATASETS;
  const ids: string[] = [];
  for (let d = 0; d < DATASETS; d++) {
    const id = `0x${(d + 1).toString(16).padStart(64, "0")}`;
    ids.push(id);
    await createDataset(deps, owner, {
      id,
      name: `Dataset ${d}`,
      shares: [{ account: owner, bps: 10_000 }],
    } as Parameters<typeof createDataset>[2]);
  }
  // Bulk: the shares of every dataset replaced by `per` contributors (bps summing to 10,000 per dataset).
  const rows = { dataset: [] as string[], account: [] as string[], bps: [] as number[] };
  for (let d = 0; d < DATASETS; d++) {
    const base = Math.floor(10_000 / per);
    for (let k = 0; k < per; k++) {
      rows.dataset.push(ids[d]);
      rows.account.push(account(d * per + k));
      rows.bps.push(base + (k < 10_000 - base * per ? 1 : 0));
    }
  }
  await t.db.prisma.$executeRaw`DELETE FROM contributor_shares`;
  await t.db.prisma.$executeRaw`INSERT INTO contributor_shares (dataset_id, account, bps)
    SELECT * FROM unnest(${rows.dataset}::text[], ${rows.account}::text[], ${rows.bps}::int[])`;
  const price = 10n ** 24n + 7n;
  const ownerKey = privateKeyToAccount(t.devAccounts![4].privateKey);
  const issuedAt = new Date(Math.floor((Date.now() - 7_200_000) / 1000) * 1000);
  for (const datasetId of ids) {
    const typed = attestationTypedData(t.chainId, { datasetId: datasetId as Hex, scope: "training", issuedAt });
    const signature = await ownerKey.signTypedData(typed);
    await recordAttestation(deps, owner, datasetId, { scope: "training", issuedAt: issuedAt.toISOString(), signature });
  }
  const offer = await createOffer(deps, owner, {
    model: "one_time",
    price: price.toString(),
    token: t.stablecoin!,
    scope: "training",
    exclusive: false,
    durationSeconds: 86_400,
    datasets: ids.map((datasetId) => ({ datasetId, weightBps: 10_000 / DATASETS })),
  });
  const license = await takeLicense(deps, buyer.address.toLowerCase(), {
    offerId: offer.id,
    startsAt: new Date(Date.now() - 3_600_000).toISOString(),
  });
  // Billed usage: `events` per-use events over the datasets in the hour before the close (not through the ingest
  // route: seeding is not what is measured).
  const perUse = await createOffer(deps, owner, {
    model: "per_use",
    ratePerUnit: "3",
    token: t.stablecoin!,
    scope: "training",
    exclusive: false,
    durationSeconds: 86_400,
    datasets: ids.map((datasetId) => ({ datasetId, weightBps: 10_000 / DATASETS })),
  });
  const usageLicense = await takeLicense(deps, buyer.address.toLowerCase(), {
    offerId: perUse.id,
    startsAt: new Date(Date.now() - 3_600_000).toISOString(),
  });
  const from = new Date(Date.now() - 3_000_000);
  // Each event's commitment (salt, leaf) through the function ingestion calls in its transaction
  // (offchain/api/services/usage.ts), timed: the per-event cost that moved from the close to ingestion.
  const licenseId = usageLicense.licenseId.toLowerCase();
  const fields = Array.from({ length: events }, (_, k) => ({
    licenseId,
    datasetId: ids[(k + 1) % DATASETS],
    idempotencyKey: `bench-${k + 1}`,
    units: String(1 + ((k + 1) % 7)),
  }));
  const tc = performance.now();
  const commitments = await usageEventCommitments(fields);
  const ingestCommitmentMs = performance.now() - tc;
  const CHUNK = 100_000;
  for (let at = 0; at < events; at += CHUNK) {
    const n = Math.min(CHUNK, events - at);
    const hex = (b: Uint8Array, i: number) => Buffer.from(b.buffer, b.byteOffset + 32 * (at + i), 32).toString("hex");
    const salts = Array.from({ length: n }, (_, i) => hex(commitments.salts, i));
    const leaves = Array.from({ length: n }, (_, i) => hex(commitments.leaves, i));
    await t.db.prisma.$executeRaw`INSERT INTO usage_events
        (buyer_id, license_id, dataset_id, item_ref, units, occurred_at, idempotency_key, commitment_salt, commitment_leaf)
      SELECT ${buyerRow.id}::uuid, ${usageLicense.licenseId}, (${ids}::text[])[1 + g % ${DATASETS}], 'item-' || g,
        1 + g % 7, ${from}::timestamptz + (g % 2000000) * interval '1 millisecond', 'bench-' || g,
        decode(t.s, 'hex'), decode(t.l, 'hex')
      FROM (SELECT ${at}::bigint + u.k AS g, u.s, u.l
        FROM unnest(${salts}::text[], ${leaves}::text[]) WITH ORDINALITY AS u(s, l, k)) t`;
  }
  const seeded = { ingestCommitmentMs };
  const c = createChainClients({ rpcUrl: t.rpcUrl, account: buyer });
  for (const [to, data] of [
    [t.stablecoin!, encodeFunctionData({ abi: testStablecoinAbi, functionName: "mint", args: [buyer.address, price] })],
    [t.stablecoin!, encodeFunctionData({ abi: erc20Abi, functionName: "approve", args: [t.splitter, price] })],
    [
      t.splitter,
      encodeFunctionData({
        abi: royaltySplitterAbi,
        functionName: "deposit",
        args: [license.licenseId as Hex, t.stablecoin!, price],
      }),
    ],
  ] as const) {
    await c.publicClient.waitForTransactionReceipt({ hash: await c.walletClient!.sendTransaction({ to, data }) });
  }
  await t.indexer.runOnce();
  await new Promise((r) => setTimeout(r, 1100)); // the epoch ends on a whole second after the license start
  return seeded;
}

export async function run(creators: number, opts: RunOptions = {}): Promise<Run> {
  const events = opts.events ?? 0;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-bench-epoch-"));
  const t = await startTributary({
    env: { DATA_DIR: dataDir, PORT: "0", DEV_CHAIN_PORT: "0", LOG_LEVEL: "silent", ...opts.env },
    background: false,
  });
  try {
    const { ingestCommitmentMs } = await seed(t, creators, events, opts.datasets ?? DATASETS);
    const phases: Record<string, number> = {};
    opts.beforeClose?.();
    const t0 = performance.now();
    const closed = await (opts.close ?? closeEpoch)(
      { prisma: t.db.prisma, common: t.common },
      "bench",
      {},
      (p: ClosePhase, ms) => (phases[p] = ms),
    );
    if (closed.status !== "closed") throw new Error(`the seeded epoch did not close: ${closed.reason}`);
    const tClosed = performance.now();
    const closeMs = tClosed - t0;
    phases.dbCommit = tClosed - t0 - Object.values(phases).reduce((a, b) => a + b, 0);
    const pass = await t.publisher.runOnce();
    if (pass.submitted !== closed.epoch)
      throw new Error(`publisher did not submit epoch ${closed.epoch}: ${JSON.stringify(pass)}`);
    const tPublished = performance.now();
    phases.publishTx = tPublished - tClosed;
    const timelock = await t.clients.publicClient.readContract({
      address: t.splitter,
      abi: royaltySplitterAbi,
      functionName: "timelock",
    });
    await devRpc(t.rpcUrl, "evm_increaseTime", [Number(timelock) + 1]);
    await devRpc(t.rpcUrl, "evm_mine");
    const tMatured = performance.now(); // excluded: the timelock
    await t.publisher.runOnce();
    const { status } = await t.db.prisma.epoch.findUniqueOrThrow({
      where: { id: closed.epoch },
      select: { status: true }, // not the carried state
    });
    if (status !== "claimable") throw new Error(`epoch ${closed.epoch} is ${status}, not claimable`);
    const tClaimable = performance.now();
    phases.markClaimable = tClaimable - tMatured;
    const who = account(creators - 1);
    const res = await fetch(`${t.apiUrl}/v1/proofs/${who}`);
    const body = (await res.json()) as { proofs: { claimable: string }[] };
    if (!(BigInt(body.proofs[0]?.claimable ?? "0") > 0n)) throw new Error(`no claimable proof served for ${who}`);
    phases.apiProofServed = performance.now() - tClaimable;
    const closeToClaimableMs = tPublished - t0 + (performance.now() - tMatured);
    // The usage commitment's parts re-run on the same rows: only with billed events (bench:scale bills none, and its
    // baseline close commits nothing). The close reads the event leaves in the scan that also feeds the settlement
    // (dbRead), so the commitment's cost there is the scan with leaves minus the scan without (medians of 3 each).
    let usageSplit = { leavesInScan: 0, scanWithoutLeaves: 0, tree: 0 };
    if (!opts.close && events > 0) {
      const closedRow = await t.db.prisma.epoch.findUniqueOrThrow({ where: { id: closed.epoch } });
      const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
      const scan = async (leaves: boolean) => {
        const times: number[] = [];
        for (let i = 0; i < 3; i++) {
          const ts = performance.now();
          await t.db.prisma.$transaction(
            (tx) => scanBilledUsage(tx, closedRow.startsAt, closedRow.endsAt, { leaves }),
            {
              timeout: 600_000,
            },
          );
          times.push(performance.now() - ts);
        }
        return median(times);
      };
      const without = await scan(false);
      const withLeaves = await scan(true);
      const billed = await t.db.prisma.$transaction(
        (tx) => billedUsageLeaves(tx, closedRow.startsAt, closedRow.endsAt),
        { timeout: 600_000 },
      );
      const ts = performance.now();
      const tree = await buildUsageTree({ epoch: closed.epoch, secret: closedRow.usageSecret as Hex, ...billed });
      if (tree.root !== closedRow.usageRoot) throw new Error("the re-run usage commitment differs from the close's");
      usageSplit = {
        leavesInScan: Math.max(0, withLeaves - without),
        scanWithoutLeaves: without,
        tree: performance.now() - ts,
      };
    }
    const result = {
      creators,
      events,
      leafCount: closed.leafCount,
      contentHash: closed.contentHash,
      closeMs,
      closeToClaimableMs,
      phases,
      ingestCommitmentMs,
      usageSplit,
    };
    await opts.whileClaimable?.(t, result);
    return result;
  } finally {
    await t.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const ms = (v: number) => `${(v / 1000).toFixed(2)} s`.padStart(9);

async function main(): Promise<void> {
  const target = Number(process.env.BENCH_CREATORS ?? 100_000);
  const events = Number(process.env.BENCH_EVENTS ?? 1_000_000);
  const baseline = await run(target / 10, { events: events / 10 });
  const full = await run(target, { events });
  console.log(
    `epoch close → claimable proofs in the API (timelock excluded), embedded default, ${os.cpus().length} cores`,
  );
  console.log(
    `${"phase".padEnd(16)} ${`${full.creators} creators`.padStart(16)} ${`${baseline.creators} (baseline)`.padStart(18)}  ratio`,
  );
  for (const k of Object.keys(full.phases)) {
    console.log(
      `${k.padEnd(16)} ${ms(full.phases[k]).padStart(16)} ${ms(baseline.phases[k]).padStart(18)}  ${(full.phases[k] / baseline.phases[k]).toFixed(1)}×`,
    );
  }
  console.log(
    `${"total".padEnd(16)} ${ms(full.closeToClaimableMs).padStart(16)} ${ms(baseline.closeToClaimableMs).padStart(18)}  ${(full.closeToClaimableMs / baseline.closeToClaimableMs).toFixed(1)}×`,
  );
  console.log(
    `target ≤ 30 s at 100,000 creators: ${full.closeToClaimableMs <= 30_000 ? "met" : "NOT met"} (${full.leafCount} leaves)`,
  );
  // The commitment's cost added to the close: its own phase plus the event leaves' share of the shared usage scan.
  const commitmentCost = (r: Run) => r.phases.usageCommitment + r.usageSplit.leavesInScan;
  console.log(
    `close ${ms(full.closeMs)} (target ≤ 15 s: ${full.closeMs <= 15_000 ? "met" : "NOT met"}; baseline ${ms(baseline.closeMs)}); ` +
      `usage commitment over ${full.events} events ${ms(commitmentCost(full))} (target ≤ 3 s: ` +
      `${commitmentCost(full) <= 3_000 ? "met" : "NOT met"}; baseline ${ms(commitmentCost(baseline))} over ${baseline.events})`,
  );
  const perEvent = (r: Run) => (1000 * r.ingestCommitmentMs) / Math.max(r.events, 1);
  console.log(
    `usage commitment split (re-run after the close): phase ${ms(full.phases.usageCommitment)} (aggregates + padding + ` +
      `sort + tree ${ms(full.usageSplit.tree)}) + leaves in the shared scan ${ms(full.usageSplit.leavesInScan)} ` +
      `(the scan without them: ${ms(full.usageSplit.scanWithoutLeaves)}, in dbRead)`,
  );
  console.log(
    `moved to ingestion: salt + event ref + leaf ${perEvent(full).toFixed(2)} µs/event ` +
      `(${ms(full.ingestCommitmentMs)} for ${full.events} events; 64 more bytes stored per event)`,
  );
  const load = os.loadavg().map((l) => l.toFixed(2));
  const out = path.join(__dirname, "..", "..", "bench", "results", "epoch.json");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const round = (o: Record<string, number>) =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v)]));
  fs.writeFileSync(
    out,
    JSON.stringify(
      {
        [`closeToClaimable${target / 1000}kMs`]: Math.round(full.closeToClaimableMs),
        leafCount: full.leafCount,
        billedEvents: full.events,
        [`close${target / 1000}kMs`]: Math.round(full.closeMs),
        usageCommitmentMs: Math.round(commitmentCost(full)),
        usageCommitmentSplitMs: round(full.usageSplit),
        ingestCommitmentUsPerEvent: Number(perEvent(full).toFixed(2)),
        baselineIngestCommitmentUsPerEvent: Number(perEvent(baseline).toFixed(2)),
        breakdownMs: round(full.phases),
        baseline: {
          creators: baseline.creators,
          billedEvents: baseline.events,
          closeMs: Math.round(baseline.closeMs),
          closeToClaimableMs: Math.round(baseline.closeToClaimableMs),
          usageCommitmentMs: Math.round(commitmentCost(baseline)),
          breakdownMs: round(baseline.phases),
        },
        targetMs: 30_000,
        closeTargetMs: 15_000,
        usageCommitmentTargetMs: 3_000,
        loadAverageAtEnd: load,
      },
      null,
      2,
    ) + "\n",
  );
  console.log(`wrote ${out}`);
}

if (require.main === module)
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
