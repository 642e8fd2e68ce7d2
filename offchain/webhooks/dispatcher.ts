/**
 * The delivery worker: claims due outbox rows (FOR UPDATE SKIP LOCKED, with a lease so a crashed worker's rows
 * come back), POSTs each signed payload, and records the outcome. A 2xx marks the row delivered; anything else is
 * retried after retryBaseMs·2^(attempt−1) (capped at an hour) until maxAttempts, then marked failed.
 * Delivery is at-least-once: a crash after the receiver answered but before the row was updated resends the same
 * message id, which the receiver deduplicates.
 * Every attempt goes through the SSRF guard first (address-guard.ts): the URL is resolved again and the request is
 * pinned to the checked address; an address that became private counts as a failed attempt, and nothing is sent.
 */
import type { Logger } from "pino";
import type { PrismaClient } from "../db/client";
import type { ResolveHost } from "./address-guard";
import { createGuardedPost, type WebhookPost } from "./post";
import { signedHeaders } from "./sign";

export type WebhookDispatcherConfig = {
  pollMs: number;
  retryBaseMs: number;
  maxAttempts: number;
  /** WEBHOOK_ALLOW_HTTP_LOOPBACK: deliveries to http(s)://localhost / 127.0.0.0/8 / ::1 (development, tests). */
  allowHttpLoopback: boolean;
  /** How long a claimed row stays invisible to other workers (it must exceed the request timeout). */
  leaseMs?: number;
  timeoutMs?: number;
  batchSize?: number;
};

export type WebhookDispatcher = {
  /** One pass: delivers every due row; returns how many were attempted. */
  runOnce(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
};

type Claimed = { id: string; endpoint_id: string; payload: unknown; attempts: number; url: string; secret: string };

const utc = (d: Date) => d.toISOString().slice(0, 23);
const HOUR = 3_600_000;

export function retryDelayMs(baseMs: number, attempt: number): number {
  return Math.min(HOUR, baseMs * 2 ** Math.min(attempt - 1, 30));
}

export function createWebhookDispatcher(opts: {
  common: { logger: Logger };
  prisma: PrismaClient;
  config: WebhookDispatcherConfig;
  /** Test seams: the resolver the guard uses, or the whole transport. */
  resolve?: ResolveHost;
  post?: WebhookPost;
}): WebhookDispatcher {
  const { prisma, config } = opts;
  const log = opts.common.logger.child({ module: "webhooks" });
  const send = opts.post ?? createGuardedPost({ allowLoopback: config.allowHttpLoopback, resolve: opts.resolve });
  const timeoutMs = config.timeoutMs ?? 10_000;
  const leaseMs = config.leaseMs ?? timeoutMs + 20_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;

  async function claim(): Promise<Claimed[]> {
    const now = new Date();
    return prisma.$queryRaw<Claimed[]>`
      UPDATE webhook_deliveries d SET locked_until = ${utc(new Date(now.getTime() + leaseMs))}::timestamp,
        attempts = d.attempts + 1
      FROM webhook_endpoints e
      WHERE e.id = d.endpoint_id AND d.id IN (
        SELECT id FROM webhook_deliveries
        WHERE state = 'pending' AND next_attempt_at <= ${utc(now)}::timestamp
          AND (locked_until IS NULL OR locked_until <= ${utc(now)}::timestamp)
        ORDER BY next_attempt_at LIMIT ${config.batchSize ?? 50}
        FOR UPDATE SKIP LOCKED)
      RETURNING d.id, d.endpoint_id, d.payload, d.attempts, e.url, e.secret`;
  }

  async function deliver(row: Claimed): Promise<void> {
    const body = JSON.stringify(row.payload);
    const at = new Date();
    let status: number | null = null;
    let error: string | null = null;
    try {
      const headers = { "content-type": "application/json", ...signedHeaders(row.secret, row.id, at, body) };
      status = (await send(row.url, headers, body, timeoutMs)).status;
    } catch (err) {
      error = err instanceof Error ? err.message.slice(0, 500) : "request failed";
    }
    const ok = status !== null && status >= 200 && status < 300;
    if (ok) {
      await prisma.webhookDelivery.update({
        where: { id: row.id },
        data: { state: "delivered", deliveredAt: new Date(), lastStatus: status, lastError: null, lockedUntil: null },
      });
      return;
    }
    const failed = row.attempts >= config.maxAttempts;
    await prisma.webhookDelivery.update({
      where: { id: row.id },
      data: {
        state: failed ? "failed" : "pending",
        lastStatus: status,
        lastError: error ?? `HTTP ${status}`,
        lockedUntil: null,
        nextAttemptAt: new Date(Date.now() + retryDelayMs(config.retryBaseMs, row.attempts)),
      },
    });
    log.warn({ delivery: row.id, attempt: row.attempts, status, failed }, "webhook delivery failed");
  }

  async function runOnce(): Promise<number> {
    const rows = await claim();
    await Promise.all(rows.map(deliver));
    return rows.length;
  }

  const tick = () => {
    if (stopped) return;
    running = runOnce()
      .catch((err) => log.error({ err }, "webhook dispatch pass failed"))
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimeout(tick, config.pollMs);
      });
  };

  return {
    runOnce,
    start() {
      stopped = false;
      if (!timer && !running) tick();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
