/**
 * The HTTP server from the moment it listens: until the app is attached, `/health` answers 200 (the process is
 * alive) and every other request 503 problem+json with `Retry-After`, so a probe or an early client gets an
 * answer instead of an open socket that never replies. Listening also tells the start-up the host:port it bound
 * (PORT=0 picks one), which is the pages' SIWE domain.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { answerClientErrors } from "../api/client-errors";

export type StartupGate = {
  server: http.Server;
  /** host:port actually bound. */
  listening: string;
  /** Hands every later request to `app`. */
  open(app: http.RequestListener): void;
  close(): Promise<void>;
};

export const RETRY_AFTER_SECONDS = 2;

function starting(req: http.IncomingMessage, res: http.ServerResponse): void {
  const path = (req.url ?? "/").split("?")[0];
  req.resume(); // drain any body so the connection can be reused
  if (path === "/health") {
    res.writeHead(200, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify({ status: "ok" }));
    return;
  }
  const body = {
    type: "/problems/starting",
    title: "Service unavailable",
    status: 503,
    detail: "the service is starting; retry shortly",
    instance: path,
    requestId: randomUUID(),
  };
  res
    .writeHead(503, {
      "content-type": "application/problem+json; charset=utf-8",
      "retry-after": String(RETRY_AFTER_SECONDS),
    })
    .end(JSON.stringify(body));
}

export async function listenGated(port: number, host: string): Promise<StartupGate> {
  let handler: http.RequestListener = starting;
  const server = http.createServer((req, res) => handler(req, res));
  answerClientErrors(server); // before listening: an oversize first request is answered too
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, host, () => resolve()));
  let open = true;
  return {
    server,
    listening: `${host}:${(server.address() as AddressInfo).port}`,
    open(app) {
      handler = app;
    },
    async close() {
      if (!open) return;
      open = false;
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
