/**
 * Webhook endpoints of creators and buyers: registration (HTTPS only, public addresses only: the SSRF guard in
 * offchain/webhooks/address-guard.ts; the signing secret is shown once), listing, disabling, and each endpoint's
 * deliveries with their status. Every lookup is scoped to the calling address.
 */
import {
  type ResolveHost,
  WebhookUrlRefusedError,
  checkUrlForm,
  resolvePublicAddress,
} from "../../webhooks/address-guard";
import { newWebhookSecret } from "../../webhooks/sign";
import type { WebhookEventType } from "../../webhooks/events";
import { forbidden, notFound, unprocessable } from "../errors";
import type { Deps } from "./deps";

/**
 * The URL's form and, when its name resolves, every address it resolves to. A name that does not resolve now is
 * accepted (the receiver may not be deployed yet): the same check runs before every delivery, which is the one
 * that protects.
 */
async function checkUrl(deps: Deps, raw: string, resolve?: ResolveHost): Promise<string> {
  const guard = { allowLoopback: deps.common.config.webhooks.allowHttpLoopback, resolve };
  try {
    const u = checkUrlForm(raw, guard);
    await resolvePublicAddress(u, guard).catch((err: unknown) => {
      if (err instanceof WebhookUrlRefusedError) throw err;
    });
    return u.toString();
  } catch (err) {
    if (err instanceof WebhookUrlRefusedError)
      throw unprocessable(`webhook URL refused: ${err.reason}`, [{ path: "/url", message: err.reason }]);
    throw err;
  }
}

const endpointView = (e: {
  id: string;
  role: string;
  url: string;
  events: string[];
  createdAt: Date;
  disabledAt: Date | null;
}) => ({
  id: e.id,
  role: e.role,
  url: e.url,
  events: e.events,
  createdAt: e.createdAt.toISOString(),
  disabledAt: e.disabledAt?.toISOString() ?? null,
});

export async function registerWebhook(
  deps: Deps,
  owner: string,
  roles: readonly string[],
  input: { url: string; role: "creator" | "buyer"; events: WebhookEventType[] },
  resolve?: ResolveHost,
) {
  if (!roles.includes(input.role)) throw forbidden(`register as a ${input.role} first`);
  const url = await checkUrl(deps, input.url, resolve);
  const secret = newWebhookSecret();
  const row = await deps.prisma.webhookEndpoint.create({
    data: { owner, role: input.role, url, events: [...new Set(input.events)].sort(), secret },
  });
  return { ...endpointView(row), secret };
}

export async function listWebhooks(deps: Deps, owner: string) {
  const rows = await deps.prisma.webhookEndpoint.findMany({ where: { owner }, orderBy: { createdAt: "asc" } });
  return rows.map(endpointView);
}

async function ownEndpoint(deps: Deps, owner: string, id: string) {
  const e = await deps.prisma.webhookEndpoint.findUnique({ where: { id } });
  if (!e || e.owner !== owner) throw notFound(`webhook ${id}`);
  return e;
}

export async function disableWebhook(deps: Deps, owner: string, id: string) {
  await ownEndpoint(deps, owner, id);
  const e = await deps.prisma.webhookEndpoint.update({ where: { id }, data: { disabledAt: new Date() } });
  // Pending deliveries of a disabled endpoint are not sent.
  await deps.prisma.webhookDelivery.updateMany({
    where: { endpointId: id, state: "pending" },
    data: { state: "failed", lastError: "endpoint disabled" },
  });
  return endpointView(e);
}

export async function listDeliveries(deps: Deps, owner: string, id: string, limit: number) {
  await ownEndpoint(deps, owner, id);
  const rows = await deps.prisma.webhookDelivery.findMany({
    where: { endpointId: id },
    orderBy: { createdAt: "desc" },
    take: limit,
  });
  return rows.map((d) => ({
    id: d.id,
    eventType: d.eventType,
    state: d.state,
    attempts: d.attempts,
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    nextAttemptAt: d.state === "pending" ? d.nextAttemptAt.toISOString() : null,
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
    createdAt: d.createdAt.toISOString(),
    payload: d.payload,
  }));
}
