/**
 * One load-generating client of bench:ingest, run in a worker thread so building 10,000-event request bodies
 * does not compete with the server for its event loop. Posts batches until the deadline; reports each
 * batch's latency and how many events the server acknowledged as stored.
 */
import http from "node:http";
import { parentPort, workerData } from "node:worker_threads";

export type ClientParams = {
  port: number;
  apiKey: string;
  licenseId: string;
  datasetIds: string[];
  tag: string;
  batch: number;
  /**
   * Run-until-rows mode (bench:ingest-flat): events claimed so far by all clients, shared between the threads
   * (Int32Array over a SharedArrayBuffer, [0]); a client claims a batch before sending it and stops once the
   * claims reach `targetRows`. Absent: run until the deadline.
   */
  claimed?: SharedArrayBuffer;
  targetRows?: number;
};
/** Times are epoch milliseconds (comparable across threads). */
export type ClientReport = {
  latencies: number[];
  acknowledged: number;
  failures: string[];
  firstStart: number;
  lastEnd: number;
  /** Each batch's reply time (epoch ms) and events it stored, in order: the per-window curve of bench:ingest-flat. */
  done: [at: number, accepted: number][];
};

const nowMs = () => performance.timeOrigin + performance.now();

export function batchBody(p: Pick<ClientParams, "licenseId" | "datasetIds" | "batch">, tag: string): string {
  const at = new Date(Date.now() - 60_000).toISOString();
  const parts = new Array<string>(p.batch);
  for (let i = 0; i < p.batch; i++) {
    parts[i] =
      `{"licenseId":"${p.licenseId}","datasetId":"${p.datasetIds[i % p.datasetIds.length]}","itemRef":"item-${i}","units":"${1 + (i % 7)}","occurredAt":"${at}","idempotencyKey":"${tag}-${i}"}`;
  }
  return `{"events":[${parts.join(",")}]}`;
}

export function post(
  agent: http.Agent,
  port: number,
  apiKey: string,
  body: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        path: "/v1/usage",
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), "x-api-key": apiKey },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function run(p: ClientParams, deadline: number): Promise<ClientReport> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const report: ClientReport = {
    latencies: [],
    acknowledged: 0,
    failures: [],
    firstStart: nowMs(),
    lastEnd: 0,
    done: [],
  };
  const claimed = p.claimed ? new Int32Array(p.claimed) : undefined;
  const more = () =>
    claimed && p.targetRows !== undefined
      ? Atomics.add(claimed, 0, p.batch) < p.targetRows && report.failures.length === 0
      : nowMs() < deadline;
  let n = 0;
  let next = batchBody(p, `${p.tag}-${n++}`);
  while (more()) {
    const start = performance.now();
    const pending = post(agent, p.port, p.apiKey, next);
    next = batchBody(p, `${p.tag}-${n++}`); // build the next body while the server works on this one
    const res = await pending;
    report.latencies.push(performance.now() - start);
    report.lastEnd = nowMs();
    if (res.status === 200) {
      const { accepted } = JSON.parse(res.text) as { accepted: number };
      report.acknowledged += accepted;
      report.done.push([report.lastEnd, accepted]);
    } else report.failures.push(`${res.status} ${res.text.slice(0, 200)}`);
  }
  agent.destroy();
  return report;
}

// Protocol: the worker says "ready" once loaded; the parent answers with the common deadline; the worker runs.
if (parentPort) {
  const port = parentPort;
  port.once("message", (deadline: number) => {
    run(workerData as ClientParams, deadline).then(
      (r) => port.postMessage(r),
      (e: unknown) =>
        port.postMessage({
          latencies: [],
          acknowledged: 0,
          failures: [String(e)],
          firstStart: 0,
          lastEnd: 0,
          done: [],
        }),
    );
  });
  port.postMessage("ready");
}
