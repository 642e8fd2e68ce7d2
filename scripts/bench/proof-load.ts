/**
 * Open-loop constant-rate load on GET /v1/proofs/:account, run as its own process by bench:scale (so the load does
 * not share the server's event loop). Request i is due at start + i / rate whether or not earlier ones have been
 * answered; its latency is counted from that due time, so a server that falls behind shows its queueing delay
 * instead of slowing the generator down (no coordinated omission). Optionally `downloads` clients fetch the
 * distribution file back to back for the whole run.
 *
 * Input: one JSON argument { api, creators, rate, seconds, downloads?, file? }. Output: one JSON line on stdout
 * { rate, seconds, sent, ok, errors, achievedRps, p50Ms, p99Ms, maxMs, downloadsCompleted }.
 */
import crypto from "node:crypto";
import http from "node:http";

type Params = { api: string; creators: number; rate: number; seconds: number; downloads?: number; file?: string };

const account = (i: number) => "0x" + crypto.createHash("sha256").update(`creator-${i}`).digest("hex").slice(0, 40);

async function main(): Promise<void> {
  const p = JSON.parse(process.argv[2]) as Params;
  const url = new URL(p.api);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const latencies: number[] = [];
  let errors = 0;
  let inFlight = 0;
  const total = Math.round(p.rate * p.seconds);
  // Accounts drawn up front: hashing in the send loop would cap the rate this process can offer.
  const paths = Array.from(
    { length: Math.min(total, 20_000) },
    () => `/v1/proofs/${account(Math.floor(Math.random() * p.creators))}`,
  );

  let downloading = true;
  let downloadsCompleted = 0;
  const downloads = Array.from({ length: p.downloads ?? 0 }, async () => {
    while (downloading) {
      await new Promise<void>((resolve) => {
        http
          .get(`${p.api}${p.file}`, { agent: new http.Agent({ keepAlive: false }) }, (res) => {
            res.on("data", () => {});
            res.on("end", () => {
              if (res.statusCode === 200) downloadsCompleted++;
              resolve();
            });
            res.on("error", () => resolve());
          })
          .on("error", () => resolve());
      });
    }
  });

  const start = performance.now();
  let sent = 0;
  await new Promise<void>((done) => {
    const fire = (i: number) => {
      const due = start + (i * 1000) / p.rate;
      inFlight++;
      const req = http.request(
        { host: url.hostname, port: url.port, path: paths[i % paths.length], agent, method: "GET" },
        (res) => {
          res.on("data", () => {});
          res.on("end", () => {
            inFlight--;
            if (res.statusCode === 200) latencies.push(performance.now() - due);
            else errors++;
            if (sent === total && inFlight === 0) done();
          });
        },
      );
      req.on("error", () => {
        inFlight--;
        errors++;
        if (sent === total && inFlight === 0) done();
      });
      req.end();
    };
    const tick = () => {
      const dueNow = Math.min(total, Math.floor(((performance.now() - start) * p.rate) / 1000) + 1);
      while (sent < dueNow) fire(sent++);
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
  const elapsed = (performance.now() - start) / 1000;
  downloading = false;
  await Promise.all(downloads);
  latencies.sort((a, b) => a - b);
  const q = (f: number) =>
    Math.round((latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * f))] ?? 0) * 10) / 10;
  process.stdout.write(
    `${JSON.stringify({
      rate: p.rate,
      seconds: p.seconds,
      sent,
      ok: latencies.length,
      errors,
      achievedRps: Math.round(latencies.length / elapsed),
      p50Ms: q(0.5),
      p99Ms: q(0.99),
      maxMs: q(1),
      downloadsCompleted,
    })}\n`,
  );
  agent.destroy();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
