/**
 * Open-loop constant-rate load on GET /v1/proofs/:account, run as its own process by bench:scale (so the load does
 * not share the server's event loop). Request i is due at start + i / rate whether or not earlier ones have been
 * answered; its latency is counted from that due time, so a server that falls behind shows its queueing delay
 * instead of slowing the generator down (no coordinated omission). Optionally `downloads` clients fetch the
 * distribution file back to back for the whole run.
 *
 * The proof requests go over raw keep-alive sockets (one request in flight per connection, a request due while every
 * connection is busy waits in a queue and its wait counts): on this 2-core machine the generator shares the CPU with
 * the server, and Node's http client cost ~80 µs a request, about what the server spends answering one, so at
 * 5,000 req/s it measured the generator as much as the server. A response counts only when its status is 200 and its
 * body has the length its content-length announced. `generatorCpuPct` is this process's CPU time over the run's wall
 * time (100 = one core), printed so a reader can see whether the generator was the limit.
 *
 * Input: one JSON argument { api, creators, rate, seconds, downloads?, file? }. Output: one JSON line on stdout
 * { rate, seconds, sent, ok, errors, achievedRps, p50Ms, p99Ms, maxMs, downloadsCompleted, generatorCpuPct }.
 */
import crypto from "node:crypto";
import http from "node:http";
import net from "node:net";

type Params = { api: string; creators: number; rate: number; seconds: number; downloads?: number; file?: string };

const CONNECTIONS = 128;
const HEADER_END = Buffer.from("\r\n\r\n");

const account = (i: number) => "0x" + crypto.createHash("sha256").update(`creator-${i}`).digest("hex").slice(0, 40);

/** One keep-alive connection carrying one request at a time; `done` is called once per request with its status. */
class Connection {
  private socket: net.Socket;
  private chunks: Buffer[] = [];
  private pending?: (ok: boolean) => void;
  private closed = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {
    this.socket = this.connect();
  }

  send(request: Buffer, done: (ok: boolean) => void): void {
    this.pending = done;
    this.chunks = [];
    this.socket.write(request);
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private connect(): net.Socket {
    const socket = net.connect({ host: this.host, port: this.port, noDelay: true });
    socket.on("data", (d: Buffer) => this.onData(d));
    const fail = () => {
      this.finish(false);
      if (!socket.destroyed) socket.destroy();
    };
    socket.on("error", fail);
    socket.on("close", () => {
      this.finish(false);
      if (!this.closed) this.socket = this.connect();
    });
    return socket;
  }

  private onData(d: Buffer): void {
    this.chunks.push(d);
    const buf = this.chunks.length === 1 ? d : Buffer.concat(this.chunks);
    this.chunks = [buf];
    const end = buf.indexOf(HEADER_END);
    if (end < 0) return;
    const head = buf.subarray(0, end).toString("latin1");
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!length) {
      this.finish(false);
      return;
    }
    const total = end + HEADER_END.length + Number(length[1]);
    if (buf.length < total) return;
    this.finish(head.startsWith("HTTP/1.1 200 ") && buf.length === total);
  }

  private finish(ok: boolean): void {
    const done = this.pending;
    if (!done) return;
    this.pending = undefined;
    this.chunks = [];
    done(ok);
  }
}

async function main(): Promise<void> {
  const p = JSON.parse(process.argv[2]) as Params;
  const url = new URL(p.api);
  const port = Number(url.port || 80);
  const latencies: number[] = [];
  let errors = 0;
  const total = Math.round(p.rate * p.seconds);
  // Requests built up front: hashing and formatting in the send loop would cap the rate this process can offer.
  const requests = Array.from({ length: Math.min(total, 20_000) }, () =>
    Buffer.from(
      `GET /v1/proofs/${account(Math.floor(Math.random() * p.creators))} HTTP/1.1\r\nhost: ${url.host}\r\n\r\n`,
      "latin1",
    ),
  );
  const connections = Array.from({ length: CONNECTIONS }, () => new Connection(url.hostname, port));
  // Used in turn (first in, first out) so none sits idle long enough for the server's keep-alive timeout to close it.
  const idle = [...connections];

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

  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  let sent = 0;
  let answered = 0;
  const waiting: number[] = []; // request numbers due while every connection was busy, oldest first
  await new Promise<void>((done) => {
    const dispatch = (conn: Connection, i: number) => {
      const due = start + (i * 1000) / p.rate;
      conn.send(requests[i % requests.length], (ok) => {
        answered++;
        if (ok) latencies.push(performance.now() - due);
        else errors++;
        const next = waiting.shift();
        if (next !== undefined) dispatch(conn, next);
        else idle.push(conn);
        if (sent === total && answered === total) done();
      });
    };
    const tick = () => {
      const dueNow = Math.min(total, Math.floor(((performance.now() - start) * p.rate) / 1000) + 1);
      while (sent < dueNow) {
        const i = sent++;
        const conn = idle.shift();
        if (conn) dispatch(conn, i);
        else waiting.push(i);
      }
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  downloading = false;
  await Promise.all(downloads);
  for (const c of connections) c.close();
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
      generatorCpuPct: Math.round(((cpu.user + cpu.system) / 1000 / (elapsed * 1000)) * 100),
    })}\n`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
