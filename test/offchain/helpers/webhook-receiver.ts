/** A local webhook receiver (port 0) that records every request and can fail the first N attempts of a message. */
import http from "node:http";
import type { AddressInfo } from "node:net";

export type Received = { path: string; headers: Record<string, string>; body: string; status: number };

export async function startReceiver(opts: { failFirst?: number; host?: string } = {}) {
  const received: Received[] = [];
  const tries = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const id = String(req.headers["webhook-id"]);
      const n = (tries.get(id) ?? 0) + 1;
      tries.set(id, n);
      const status = n <= (opts.failFirst ?? 0) ? 500 : 204;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = String(v);
      received.push({ path: req.url ?? "", headers, body: Buffer.concat(chunks).toString("utf8"), status });
      res.statusCode = status;
      res.end();
    });
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export async function waitFor(cond: () => boolean | Promise<boolean>, ms = 20_000, what = "condition") {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
