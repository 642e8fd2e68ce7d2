/**
 * npm run bench:ingest — usage events per second accepted through POST /v1/usage over a real HTTP server on
 * 127.0.0.1, sustained for BENCH_SECONDS (default 30) on PGlite (a data folder on disk) and on the PostgreSQL
 * server (a database created and dropped here), 10,000-event batches from keep-alive clients in worker threads
 * (BENCH_CLIENTS_PGLITE default 2, BENCH_CLIENTS_PG default 4). Reports p50/p99 batch latency and lost = acknowledged − rows counted in the database.
 * Baseline, measured in the same run on the same database: Prisma createMany of the same batches (no HTTP).
 *
 * Environment: BENCH_SECONDS (30), BENCH_CLIENTS_PGLITE (2), BENCH_CLIENTS_PG (4), BENCH_PG_URL (postgres://root@127.0.0.1:5432),
 * BENCH_BASELINE_BATCHES (5).
 *
 * npm run bench:ingest-flat (BENCH_TARGET_ROWS set; the script sets 5,000,000) — issue 15 must-show 3: the same
 * clients run until the database holds BENCH_TARGET_ROWS events (no deadline), on PGlite and then PostgreSQL. The
 * accepted events are binned into 10-s windows by reply time (BENCH_WINDOW_SECONDS; a last, shorter window is
 * left out); each window's events/s is compared with the median window. `pgliteIngestRowsFlat` /
 * `postgresIngestRowsFlat` = the rows stored before the first window outside [0.5, 1.5] × median (all rows when
 * none is; null when the very first is). Writes those keys and the curves (`ingestFlat`) into
 * bench/results/scale.json, keeping every other key there (read-modify-write). The createMany baseline is skipped:
 * the two databases' curves side by side are the comparison.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import { Worker } from "node:worker_threads";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { Client } from "pg";
import { createApp } from "../../offchain/api/app";
import { createCommon } from "../../offchain/common";
import { loadConfig } from "../../offchain/config";
import { keccak256, toHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { openDatabase, type Db } from "../../offchain/db/client";
import { createApiKey, registerBuyer } from "../../offchain/api/services/buyers";
import { createDataset, registerCreator } from "../../offchain/api/services/creators";
import { createOffer } from "../../offchain/api/services/offers";
import { recordAttestation } from "../../offchain/api/services/consent-basis";
import { attestationTypedData } from "../../offchain/api/services/attestation-typed-data";
import { takeLicense } from "../../offchain/api/services/licenses";
import { batchBody, post, type ClientParams, type ClientReport } from "./ingest-client";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
// PGlite executes one statement at a time, so more batches in flight only queue; the server takes more.
const CLIENTS = {
  pglite: Number(process.env.BENCH_CLIENTS_PGLITE ?? 2),
  postgres: Number(process.env.BENCH_CLIENTS_PG ?? 4),
};
const PG_URL = process.env.BENCH_PG_URL ?? "postgres://root@127.0.0.1:5432";
const BASELINE_BATCHES = Number(process.env.BENCH_BASELINE_BATCHES ?? 5);
const BATCH = 10_000;
const LOAD_AT_START = os.loadavg()[0];
const TARGET_ROWS = process.env.BENCH_TARGET_ROWS ? Number(process.env.BENCH_TARGET_ROWS) : undefined;
const WINDOW_SECONDS = Number(process.env.BENCH_WINDOW_SECONDS ?? 10);

type Fixture = { apiKey: string; buyerId: string; licenseId: string; datasetIds: string[] };

async function fixture(db: Db): Promise<Fixture> {
  const common = createCommon(loadConfig({ LOG_LEVEL: "silent" }), { defaultMetrics: false });
  const deps = { prisma: db.prisma, common };
  const creatorKey = privateKeyToAccount(keccak256(toHex("bench creator")));
  const creator = creatorKey.address.toLowerCase();
  const buyer = "0x" + "b1".repeat(20);
  await registerCreator(deps, creator, "bench creator");
  const datasetIds: string[] = [];
  for (let i = 0; i < 4; i++) {
    datasetIds.push(
      (await createDataset(deps, creator, { name: `d${i}`, metadata: {}, shares: [{ account: creator, bps: 10_000 }] }))
        .id,
    );
  }
  const issuedAt = new Date(Math.floor((Date.now() - 7_200_000) / 1000) * 1000);
  for (const datasetId of datasetIds) {
    const typed = attestationTypedData(common.config.chainId, {
      datasetId: datasetId as Hex,
      scope: "training",
      issuedAt,
    });
    const signature = await creatorKey.signTypedData(typed);
    await recordAttestation(deps, creator, datasetId, {
      scope: "training",
      issuedAt: issuedAt.toISOString(),
      signature,
    });
  }
  const offer = await createOffer(deps, creator, {
    model: "per_use",
    ratePerUnit: "3",
    // No deposits in this bench: a credit large enough that no batch is refused (402) for money.
    creditLimit: (10n ** 30n).toString(),
    token: "0x" + "7e".repeat(20),
    scope: "training",
    exclusive: false,
    durationSeconds: 30 * 86_400,
    datasets: datasetIds.map((datasetId) => ({ datasetId, weightBps: 2500 })),
  });
  const b = await registerBuyer(deps, buyer, "bench buyer");
  const license = await takeLicense(deps, buyer, {
    offerId: offer.id,
    startsAt: new Date(Date.now() - 3_600_000).toISOString(),
  });
  const key = await createApiKey(deps, buyer);
  return { apiKey: key.key, buyerId: b.id, licenseId: license.licenseId, datasetIds };
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

type Result = {
  eventsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  acknowledged: number;
  counted: number;
  lost: number;
  batches: number;
  baselineRowsPerSec: number;
  elapsedSeconds: number;
  curve: Window[];
};

/** One window of the run-until-rows curve: events stored in it per second, and the 1-min load average at its end. */
type Window = { t: number; eventsPerSec: number; rowsAtEnd: number; load1: number };

async function measure(label: string, db: Db): Promise<Result> {
  const f = await fixture(db);
  const common = createCommon(loadConfig({ LOG_LEVEL: "silent" }), { defaultMetrics: false });
  const server = createApp({ common, db }).listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const port = (server.address() as AddressInfo).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  // Warm-up batch (JIT, first-statement plans); its events count in the database like the rest.
  let acknowledged = 0;
  const warm = await post(agent, port, f.apiKey, batchBody({ ...f, batch: BATCH }, "warm"));
  agent.destroy();
  if (warm.status !== 200) throw new Error(`warm-up failed: ${warm.status} ${warm.text}`);
  acknowledged += (JSON.parse(warm.text) as { accepted: number }).accepted;

  const clients = CLIENTS[label as "pglite" | "postgres"];
  // Run-until-rows: the clients share one claim counter (the warm-up batch already stored BATCH rows).
  const claimed = new SharedArrayBuffer(4);
  // The load average at each window's end, sampled by this (the server's) thread.
  const loads: [at: number, load1: number][] = [];
  const sampler = setInterval(() => loads.push([Date.now(), os.loadavg()[0]]), WINDOW_SECONDS * 1000);
  // Start every client thread first, then give them one common deadline, so thread start-up is not timed.
  const workers = await Promise.all(
    Array.from({ length: clients }, (_, c) => {
      const params: ClientParams = {
        port,
        apiKey: f.apiKey,
        licenseId: f.licenseId,
        datasetIds: f.datasetIds,
        tag: `c${c}`,
        batch: BATCH,
        ...(TARGET_ROWS !== undefined ? { claimed, targetRows: TARGET_ROWS - BATCH } : {}),
      };
      const worker = new Worker(path.join(__dirname, "ingest-client.ts"), {
        workerData: params,
        execArgv: ["-r", "ts-node/register/transpile-only"],
      });
      return new Promise<Worker>((resolve, reject) =>
        worker.once("message", () => resolve(worker)).once("error", reject),
      );
    }),
  );
  const deadline = performance.timeOrigin + performance.now() + SECONDS * 1000;
  const reports = await Promise.all(
    workers.map((w) => {
      const done = new Promise<ClientReport>((resolve, reject) =>
        w.once("message", (r: ClientReport) => resolve(r)).once("error", reject),
      );
      w.postMessage(deadline);
      return done.finally(() => w.terminate());
    }),
  );
  // The timed window: first request sent to last reply received, over all clients.
  const firstStart = Math.min(...reports.map((r) => r.firstStart));
  const elapsed = (Math.max(...reports.map((r) => r.lastEnd)) - firstStart) / 1000;
  clearInterval(sampler);
  await new Promise((r) => server.close(r));
  const failures = reports.flatMap((r) => r.failures);
  if (failures.length) throw new Error(`${label}: ${failures.length} batches failed: ${failures[0]}`);
  const latencies = reports.flatMap((r) => r.latencies);
  for (const r of reports) acknowledged += r.acknowledged;
  const [{ n }] = await db.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*)::bigint AS n FROM usage_events`;
  const counted = Number(n);
  const eventsPerSec = (acknowledged - BATCH) / elapsed; // the warm-up batch is outside the timed window

  // The curve: accepted events binned by reply time into whole windows from the common start.
  const done = reports.flatMap((r) => r.done).sort((a, b) => a[0] - b[0]);
  const whole = Math.floor(elapsed / WINDOW_SECONDS);
  const perWindow = new Array<number>(whole).fill(0);
  for (const [at, accepted] of done) {
    const w = Math.floor((at - firstStart) / 1000 / WINDOW_SECONDS);
    if (w < whole) perWindow[w] += accepted;
  }
  let stored = BATCH; // the warm-up batch
  const curve: Window[] = perWindow.map((n, w) => {
    stored += n;
    const end = firstStart + (w + 1) * WINDOW_SECONDS * 1000;
    const load = loads.find(([at]) => at >= end - 1000)?.[1] ?? os.loadavg()[0];
    return {
      t: (w + 1) * WINDOW_SECONDS,
      eventsPerSec: Math.round(n / WINDOW_SECONDS),
      rowsAtEnd: stored,
      load1: load,
    };
  });

  const result = (baselineRowsPerSec: number) => ({
    eventsPerSec,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    acknowledged,
    counted,
    lost: acknowledged - counted,
    batches: latencies.length,
    baselineRowsPerSec,
    elapsedSeconds: elapsed,
    curve,
  });
  if (TARGET_ROWS !== undefined) return result(Number.NaN);
  // Baseline: Prisma createMany of the same 10,000-event batches, straight to the database.
  const rows = (tag: string) =>
    Array.from({ length: BATCH }, (_, i) => ({
      buyerId: f.buyerId,
      licenseId: f.licenseId,
      datasetId: f.datasetIds[i & 3],
      itemRef: `item-${i}`,
      units: String(1 + (i % 7)),
      occurredAt: new Date(Date.now() - 60_000),
      idempotencyKey: `${tag}-${i}`,
    }));
  const b0 = performance.now();
  for (let i = 0; i < BASELINE_BATCHES; i++)
    await db.prisma.usageEvent.createMany({ data: rows(`base-${i}`), skipDuplicates: true });
  const baselineRowsPerSec = (BASELINE_BATCHES * BATCH) / ((performance.now() - b0) / 1000);

  return result(baselineRowsPerSec);
}

/** Median window, extreme ratios to it, and the rows stored before the first window outside [0.5, 1.5] × median. */
export function flatness(curve: Window[], totalRows: number) {
  if (curve.length === 0) return { medianEventsPerSec: null, minRatio: null, maxRatio: null, rowsFlat: null };
  const rates = curve.map((w) => w.eventsPerSec);
  const sorted = [...rates].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  const outside = curve.findIndex((w) => w.eventsPerSec < 0.5 * median || w.eventsPerSec > 1.5 * median);
  // Flat all along: every stored row counts (the last, partial window included); else up to the window before.
  const rowsFlat = outside === -1 ? totalRows : outside === 0 ? null : curve[outside - 1].rowsAtEnd;
  return {
    medianEventsPerSec: median,
    minRatio: Number((sorted[0] / median).toFixed(3)),
    maxRatio: Number((sorted[sorted.length - 1] / median).toFixed(3)),
    rowsFlat,
  };
}

function printCurve(label: string, r: Result) {
  const f = flatness(r.curve, r.counted);
  console.log(
    `${label}: ${r.counted.toLocaleString("en")} rows in ${r.elapsedSeconds.toFixed(0)} s; ${WINDOW_SECONDS}-s windows: ` +
      `median ${f.medianEventsPerSec?.toLocaleString("en")} events/s, min ${f.minRatio}x, max ${f.maxRatio}x of median; ` +
      `rows while every window within 50 % of the median: ${f.rowsFlat?.toLocaleString("en") ?? "null"}`,
  );
  for (const w of r.curve)
    console.log(
      `  ${String(w.t).padStart(5)} s  ${String(w.eventsPerSec).padStart(6)} events/s  ` +
        `${"#".repeat(Math.round(w.eventsPerSec / 1000))}  (${w.rowsAtEnd.toLocaleString("en")} rows, load ${w.load1.toFixed(1)})`,
    );
  return f;
}

async function admin(sql: string) {
  const c = new Client({ connectionString: `${PG_URL}/postgres` });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

function print(label: string, r: Result) {
  console.log(
    `${label.padEnd(10)} HTTP batch endpoint: ${Math.round(r.eventsPerSec).toLocaleString("en")} events/s over ${r.batches} batches ` +
      `(p50 ${r.p50Ms.toFixed(0)} ms, p99 ${r.p99Ms.toFixed(0)} ms) | ` +
      (Number.isNaN(r.baselineRowsPerSec)
        ? "baseline: the other database's curve (run-until-rows mode) | "
        : `baseline Prisma createMany (no HTTP): ${Math.round(r.baselineRowsPerSec).toLocaleString("en")} rows/s | ` +
          `ratio ${(r.eventsPerSec / r.baselineRowsPerSec).toFixed(1)}x | `) +
      `acknowledged ${r.acknowledged}, in database ${r.counted}, lost ${r.lost}`,
  );
}

async function main() {
  console.log(
    `bench:ingest — ${TARGET_ROWS !== undefined ? `until ${TARGET_ROWS.toLocaleString("en")} rows` : `${SECONDS}s`} per database, ${BATCH}-event batches, clients: PGlite ${CLIENTS.pglite}, PostgreSQL ${CLIENTS.postgres}; ` +
      `${os.cpus().length} cores, load average ${LOAD_AT_START.toFixed(1)} at start`,
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-bench-"));
  const lite = await openDatabase({ dataDir: dir });
  let pglite: Result;
  try {
    pglite = await measure("pglite", lite);
  } finally {
    await lite.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  print("PGlite", pglite);

  const name = `tributary_bench_${crypto.randomBytes(4).toString("hex")}`;
  await admin(`CREATE DATABASE "${name}"`);
  let postgres: Result;
  try {
    const pg = await openDatabase({ url: `${PG_URL}/${name}`, dataDir: "" });
    try {
      postgres = await measure("postgres", pg);
    } finally {
      await pg.close();
    }
  } finally {
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
  print("PostgreSQL", postgres);
  if (TARGET_ROWS !== undefined) return writeFlat(pglite, postgres);
  console.log(
    `targets: PostgreSQL >= 20,000/s ${postgres.eventsPerSec >= 20_000 ? "met" : "MISSED"}, PGlite >= 10,000/s ${pglite.eventsPerSec >= 10_000 ? "met" : "MISSED"}, lost = 0 ${pglite.lost + postgres.lost === 0 ? "met" : "MISSED"}`,
  );

  const out = {
    postgresEventsPerSec: Math.round(postgres.eventsPerSec),
    pgliteEventsPerSec: Math.round(pglite.eventsPerSec),
    postgresP99Ms: Math.round(postgres.p99Ms),
    pgliteP99Ms: Math.round(pglite.p99Ms),
    postgresP50Ms: Math.round(postgres.p50Ms),
    pgliteP50Ms: Math.round(pglite.p50Ms),
    lost: pglite.lost + postgres.lost,
    postgresBaselineCreateManyRowsPerSec: Math.round(postgres.baselineRowsPerSec),
    pgliteBaselineCreateManyRowsPerSec: Math.round(pglite.baselineRowsPerSec),
    seconds: SECONDS,
    pgliteClients: CLIENTS.pglite,
    postgresClients: CLIENTS.postgres,
    loadAverageAtStart: Number(LOAD_AT_START.toFixed(1)),
    batchEvents: BATCH,
  };
  const file = path.join(__dirname, "../../bench/results/ingest.json");
  // The previous recorded run stays beside the new figures (its own load), as the before-this-run reference.
  const previous = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>) : null;
  if (previous) {
    delete previous.previousRun;
    console.log(
      `previous recorded run: PostgreSQL ${previous.postgresEventsPerSec} events/s, PGlite ${previous.pgliteEventsPerSec} events/s ` +
        `(load ${previous.loadAverageAtStart} at its start)`,
    );
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ ...out, previousRun: previous }, null, 2) + "\n");
  console.log("wrote bench/results/ingest.json");
}

function writeFlat(pglite: Result, postgres: Result) {
  const lite = printCurve("PGlite", pglite);
  const pg = printCurve("PostgreSQL", postgres);
  const target = TARGET_ROWS!;
  console.log(
    `target: pgliteIngestRowsFlat >= ${target.toLocaleString("en")} ${(lite.rowsFlat ?? 0) >= target ? "met" : "MISSED"} ` +
      `(PostgreSQL beside it: ${pg.rowsFlat?.toLocaleString("en") ?? "null"}); lost ${pglite.lost + postgres.lost}`,
  );
  const file = path.join(__dirname, "../../bench/results/scale.json");
  // Read-modify-write: bench:scale owns the other keys of this file.
  const scale = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>) : {};
  const side = (r: Result, f: ReturnType<typeof flatness>, clients: number) => ({
    rows: r.counted,
    acknowledged: r.acknowledged,
    lost: r.lost,
    seconds: Number(r.elapsedSeconds.toFixed(1)),
    meanEventsPerSec: Math.round(r.eventsPerSec),
    medianWindowEventsPerSec: f.medianEventsPerSec,
    minWindowRatio: f.minRatio,
    maxWindowRatio: f.maxRatio,
    p50Ms: Math.round(r.p50Ms),
    p99Ms: Math.round(r.p99Ms),
    clients,
    curve: r.curve,
  });
  scale.pgliteIngestRowsFlat = lite.rowsFlat;
  scale.postgresIngestRowsFlat = pg.rowsFlat;
  scale.ingestFlat = {
    targetRows: target,
    windowSeconds: WINDOW_SECONDS,
    band: [0.5, 1.5],
    batchEvents: BATCH,
    loadAverageAtStart: Number(LOAD_AT_START.toFixed(1)),
    loadAverageAtEnd: Number(os.loadavg()[0].toFixed(1)),
    cores: os.cpus().length,
    pglite: side(pglite, lite, CLIENTS.pglite),
    postgres: side(postgres, pg, CLIENTS.postgres),
  };
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(scale, null, 2) + "\n");
  fs.renameSync(tmp, file);
  console.log("wrote pgliteIngestRowsFlat, postgresIngestRowsFlat, ingestFlat into bench/results/scale.json");
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
