/**
 * The webhook outbox and its worker. Properties: signatures follow Standard Webhooks (checked against the spec's
 * published vector); a failed delivery is retried with exponential backoff and the same message id; a delivery
 * survives a kill -9 of the worker in the middle of its retries and is then delivered exactly once.
 */
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { expect } from "chai";
import pino from "pino";
import { Webhook } from "standardwebhooks";
import { openTestDatabase, type TestDb } from "../helpers/database";
import { startReceiver, waitFor } from "../helpers/webhook-receiver";
import {
  createWebhookDispatcher,
  newWebhookSecret,
  retryDelayMs,
  signedHeaders,
  verifyWebhook,
} from "../../../offchain/webhooks";
import { enqueueFor } from "../../../offchain/webhooks/events";

const silent = pino({ level: "silent" });

const bare = (u: string) => u.replace("http://127.0.0.1:", "http://localhost:");

async function endpointWithEvent(db: TestDb, url: string) {
  const secret = newWebhookSecret();
  await db.prisma.webhookEndpoint.create({
    data: { owner: "0x" + "b0".repeat(20), role: "buyer", url, events: ["consent.revoked"], secret },
  });
  const [id] = await db.prisma.$transaction((tx) =>
    enqueueFor(tx, "0x" + "b0".repeat(20), "buyer", "consent.revoked", { datasetId: "0x" + "01".repeat(32) }),
  );
  return { id, secret };
}

describe("webhook signatures (Standard Webhooks)", () => {
  it("signs the spec's test vector to the published signature", () => {
    // Vector from the Standard Webhooks reference libraries' tests.
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const h = signedHeaders(
      secret,
      "msg_p5jXN8AQM9LWM0D4loKWxJek",
      new Date(1614265330 * 1000),
      '{"test": 2432232314}',
    );
    expect(h).to.deep.equal({
      "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
      "webhook-timestamp": "1614265330",
      "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    });
  });

  it("a receiver rejects a changed body, a changed id and a stale timestamp", () => {
    const secret = newWebhookSecret();
    const body = '{"type":"consent.revoked"}';
    const h = signedHeaders(secret, "msg_1", new Date(), body);
    expect(verifyWebhook(secret, body, h)).to.deep.equal({ type: "consent.revoked" });
    expect(() => verifyWebhook(secret, body.replace("revoked", "revokeD"), h)).to.throw();
    expect(() => verifyWebhook(secret, body, { ...h, "webhook-id": "msg_2" })).to.throw();
    const old = signedHeaders(secret, "msg_1", new Date(Date.now() - 10 * 60_000), body);
    expect(() => new Webhook(secret).verify(body, old)).to.throw();
  });

  it("retry delays double from the base and are capped at one hour", () => {
    expect([1, 2, 3, 4].map((a) => retryDelayMs(5000, a))).to.deep.equal([5000, 10_000, 20_000, 40_000]);
    expect(retryDelayMs(5000, 40)).to.equal(3_600_000);
  });
});

describe("webhook dispatcher: the SSRF guard at delivery time", () => {
  it("resolves the name again before each attempt and sends nothing when it now points at a private address", async () => {
    const db = await openTestDatabase();
    const receiver = await startReceiver();
    try {
      const { id } = await endpointWithEvent(db, bare(receiver.url));
      const asked: string[] = [];
      const d = createWebhookDispatcher({
        common: { logger: silent },
        prisma: db.prisma,
        config: { pollMs: 10, retryBaseMs: 1, maxAttempts: 5, allowHttpLoopback: true },
        resolve: async (host) => {
          asked.push(host);
          return [{ address: "10.0.0.7", family: 4 }]; // re-pointed after registration
        },
      });
      expect(await d.runOnce()).to.equal(1);
      const row = await db.prisma.webhookDelivery.findUniqueOrThrow({ where: { id } });
      expect([row.state, row.attempts, row.lastStatus, row.lastError]).to.deep.equal([
        "pending",
        1,
        null,
        "webhook URL refused: localhost resolves to 10.0.0.7, not a public address",
      ]);
      expect(asked).to.deep.equal(["localhost"]);
      expect(receiver.received).to.have.length(0);
    } finally {
      await receiver.close();
      await db.close();
    }
  });

  it("connects to the address it checked (the resolver's answer), with the URL's host in the Host header", async () => {
    const db = await openTestDatabase();
    // Listening on 127.0.0.2 only, which the system resolver never answers for localhost: the delivery can succeed
    // only by connecting to the address the (stub) resolver gave and the guard checked.
    const receiver = await startReceiver({ host: "127.0.0.2" });
    try {
      const url = receiver.url.replace("http://127.0.0.2:", "http://localhost:");
      const { id } = await endpointWithEvent(db, `${url}/pinned`);
      const d = createWebhookDispatcher({
        common: { logger: silent },
        prisma: db.prisma,
        config: { pollMs: 10, retryBaseMs: 1, maxAttempts: 5, allowHttpLoopback: true },
        resolve: async () => [{ address: "127.0.0.2", family: 4 }],
      });
      await d.runOnce();
      const row = await db.prisma.webhookDelivery.findUniqueOrThrow({ where: { id } });
      expect([row.state, row.lastStatus]).to.deep.equal(["delivered", 204]);
      expect(receiver.received.map((r) => [r.path, r.headers.host])).to.deep.equal([
        ["/pinned", url.replace("http://", "")],
      ]);
    } finally {
      await receiver.close();
      await db.close();
    }
  });

  it("does not follow a redirect: a 302 is a failed attempt and its Location is never requested", async () => {
    const db = await openTestDatabase();
    const hits: string[] = [];
    const server = http.createServer((req, res) => {
      hits.push(req.url ?? "");
      res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" }).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    try {
      const { id } = await endpointWithEvent(db, `http://127.0.0.1:${(server.address() as AddressInfo).port}/r`);
      const d = createWebhookDispatcher({
        common: { logger: silent },
        prisma: db.prisma,
        config: { pollMs: 10, retryBaseMs: 60_000, maxAttempts: 5, allowHttpLoopback: true },
      });
      await d.runOnce();
      const row = await db.prisma.webhookDelivery.findUniqueOrThrow({ where: { id } });
      expect([row.state, row.attempts, row.lastStatus, row.lastError]).to.deep.equal(["pending", 1, 302, "HTTP 302"]);
      expect(hits).to.deep.equal(["/r"]);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
      await db.close();
    }
  });

  it("without the loopback allowance, a delivery to 127.0.0.1 is refused before any request", async () => {
    const db = await openTestDatabase();
    const receiver = await startReceiver();
    try {
      const { id } = await endpointWithEvent(db, receiver.url);
      const d = createWebhookDispatcher({
        common: { logger: silent },
        prisma: db.prisma,
        config: { pollMs: 10, retryBaseMs: 60_000, maxAttempts: 5, allowHttpLoopback: false },
      });
      await d.runOnce();
      const row = await db.prisma.webhookDelivery.findUniqueOrThrow({ where: { id } });
      expect([row.state, row.lastError]).to.deep.equal(["pending", "webhook URL refused: expected an https:// URL"]);
      expect(receiver.received).to.have.length(0);
    } finally {
      await receiver.close();
      await db.close();
    }
  });
});

describe("webhook dispatcher: retries and crashes", function () {
  it("marks a delivery failed after maxAttempts and never sends it again", async () => {
    const db = await openTestDatabase();
    const receiver = await startReceiver({ failFirst: 99 });
    try {
      const { id } = await endpointWithEvent(db, receiver.url);
      const d = createWebhookDispatcher({
        common: { logger: silent },
        prisma: db.prisma,
        config: { pollMs: 10, retryBaseMs: 5, maxAttempts: 3, allowHttpLoopback: true },
      });
      for (let i = 0; i < 50 && receiver.received.length < 4; i++) {
        await d.runOnce();
        await new Promise((r) => setTimeout(r, 15));
        if ((await db.prisma.webhookDelivery.findUniqueOrThrow({ where: { id } })).state === "failed") {
          // A few more passes: a failed row must not be sent again.
          for (let k = 0; k < 3; k++) await d.runOnce();
          break;
        }
      }
      const row = await db.prisma.webhookDelivery.findUniqueOrThrow({ where: { id } });
      expect([row.state, row.attempts, row.lastStatus]).to.deep.equal(["failed", 3, 500]);
      expect(receiver.received).to.have.length(3);
    } finally {
      await receiver.close();
      await db.close();
    }
  });

  it("a kill -9 of the worker between retries: the next worker delivers the message exactly once", async function () {
    if (process.env.TEST_SKIP_POSTGRES === "1") this.skip();
    // Two processes share the outbox, so this runs on the PostgreSQL server (PGlite is one process per folder).
    const db = await openTestDatabase("postgres");
    const receiver = await startReceiver({ failFirst: 2 });
    const children: ChildProcess[] = [];
    const spawnWorker = () => {
      const child = spawn(
        process.execPath,
        ["-r", "ts-node/register/transpile-only", path.join(__dirname, "dispatcher-child.ts")],
        {
          env: {
            ...process.env,
            CHILD_DATABASE_URL: `${process.env.TEST_PG_URL ?? "postgres://root@127.0.0.1:5432"}/${db.name}`,
            CHILD_RETRY_BASE_MS: "1500",
          },
          stdio: ["ignore", "pipe", "inherit"],
        },
      );
      children.push(child);
      return child;
    };
    try {
      const { id, secret } = await endpointWithEvent(db, receiver.url);
      const first = spawnWorker();
      await waitFor(() => receiver.received.length >= 2, 60_000, "two failed attempts");
      first.kill("SIGKILL");
      await new Promise((r) => first.once("exit", r));
      expect(first.signalCode).to.equal("SIGKILL");
      const mid = await db.prisma.webhookDelivery.findUniqueOrThrow({ where: { id } });
      expect([mid.state, mid.attempts]).to.deep.equal(["pending", 2]);
      expect(receiver.received).to.have.length(2);

      spawnWorker();
      await waitFor(
        async () => (await db.prisma.webhookDelivery.findUniqueOrThrow({ where: { id } })).state === "delivered",
        60_000,
        "delivery",
      );
      await new Promise((r) => setTimeout(r, 500)); // a duplicate would arrive now
      expect(receiver.received.map((r) => r.status)).to.deep.equal([500, 500, 204]);
      expect(new Set(receiver.received.map((r) => r.headers["webhook-id"]))).to.deep.equal(new Set([id]));
      for (const r of receiver.received) verifyWebhook(secret, r.body, r.headers);
      const done = await db.prisma.webhookDelivery.findUniqueOrThrow({ where: { id } });
      expect([done.state, done.lastStatus]).to.deep.equal(["delivered", 204]);
      // Three attempts reached the receiver; on a loaded machine a further attempt may have timed out before its
      // request arrived (it counts as an attempt, never as a second delivery).
      expect(done.attempts).to.be.at.least(3);
    } finally {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
      await receiver.close();
      await db.close();
    }
  });
});
