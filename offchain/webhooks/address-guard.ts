/**
 * SSRF guard for webhook URLs: a receiver URL may only reach a public address. Checked at registration (the API
 * answers 422) and again before every delivery, after DNS resolution, because a name can be re-pointed after it
 * was registered (DNS rebinding). The delivery then connects to the address that was checked (pinned), so a second
 * lookup cannot swap it.
 *
 * Only https:// is accepted, except that with `allowLoopback` (WEBHOOK_ALLOW_HTTP_LOOPBACK, development and tests)
 * http:// or https:// to localhost / 127.0.0.0/8 / ::1 is accepted too; every other private address stays refused.
 * IP literals in any form the WHATWG URL parser accepts (decimal `2130706433`, hex `0x7f.1`, octal, short `127.1`,
 * IPv4-mapped IPv6 `[::ffff:127.0.0.1]`) are normalised by `new URL` first, and `net.BlockList` matches an
 * IPv4-mapped IPv6 address against the IPv4 ranges.
 */
import dns from "node:dns";
import net from "node:net";
import { TributaryError } from "../common/errors";

/** Resolves a host name to every address it has (the default is the OS resolver, `dns.lookup` with all: true). */
export type ResolveHost = (hostname: string) => Promise<{ address: string; family: 4 | 6 }[]>;

export const systemResolve: ResolveHost = async (hostname) =>
  (await dns.promises.lookup(hostname, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

/** Why a webhook URL is refused; `WEBHOOK_URL_REFUSED`, permanent. */
export class WebhookUrlRefusedError extends TributaryError {
  override readonly name = "WebhookUrlRefusedError";
  constructor(
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super("WEBHOOK_URL_REFUSED", `webhook URL refused: ${reason}`, options);
  }
}

// IANA special-purpose registries (RFC 6890 and successors): nothing here is a public receiver.
const PRIVATE_V4: [string, number][] = [
  ["0.0.0.0", 8], // "this network", 0.0.0.0
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, and the cloud metadata address 169.254.169.254
  ["172.16.0.0", 12],
  ["192.0.0.0", 24], // IETF protocol assignments (192.0.0.192 is Oracle Cloud's metadata)
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, and 255.255.255.255
];
const PRIVATE_V6: [string, number][] = [
  ["::", 128],
  ["::1", 128],
  ["::", 96], // IPv4-compatible (deprecated)
  ["64:ff9b::", 96], // NAT64: may translate to any IPv4 address, private ones included
  ["64:ff9b:1::", 48],
  ["100::", 64], // discard
  ["2001::", 23], // IETF protocol assignments (Teredo, ORCHID, …)
  ["2001:db8::", 32], // documentation
  ["2002::", 16], // 6to4: embeds an arbitrary IPv4 address
  ["fc00::", 7], // unique local (AWS metadata fd00:ec2::254 is in it)
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated)
  ["ff00::", 8], // multicast
];

const blocked = new net.BlockList();
for (const [a, p] of PRIVATE_V4) blocked.addSubnet(a, p, "ipv4");
for (const [a, p] of PRIVATE_V6) blocked.addSubnet(a, p, "ipv6");

const loopback = new net.BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("::1", "ipv6");

const family = (ip: string) => (net.isIPv6(ip) ? "ipv6" : "ipv4");

/** True when `ip` (an IPv4 or IPv6 literal, IPv4-mapped forms included) is not a public unicast address. */
export function isPrivateAddress(ip: string): boolean {
  return blocked.check(ip, family(ip));
}

export function isLoopbackAddress(ip: string): boolean {
  return loopback.check(ip, family(ip));
}

export type GuardOptions = { allowLoopback: boolean; resolve?: ResolveHost };

/** The URL's host as an address literal (brackets of IPv6 removed), or null for a name. */
function literalHost(u: URL): string | null {
  const h = u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname;
  return net.isIP(h) ? h : null;
}

/**
 * Parses and checks the URL's scheme and form (no DNS).
 * @throws WebhookUrlRefusedError for a non-https URL (outside the loopback exception), credentials in the URL, or
 *         an address literal that is private.
 */
export function checkUrlForm(raw: string, opts: GuardOptions): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch (cause) {
    throw new WebhookUrlRefusedError("not a URL", { cause });
  }
  if (u.username || u.password) throw new WebhookUrlRefusedError("credentials in the URL");
  const literal = literalHost(u);
  const isLoopback = u.hostname === "localhost" || (literal !== null && isLoopbackAddress(literal));
  if (isLoopback && opts.allowLoopback) {
    if (u.protocol !== "https:" && u.protocol !== "http:") throw new WebhookUrlRefusedError("expected http(s)");
    return u;
  }
  if (u.protocol !== "https:") throw new WebhookUrlRefusedError("expected an https:// URL");
  if (u.hostname === "localhost" || u.hostname.endsWith(".localhost"))
    throw new WebhookUrlRefusedError("localhost is not a public host");
  if (literal !== null && isPrivateAddress(literal))
    throw new WebhookUrlRefusedError(`${literal} is a private, loopback, link-local, multicast or reserved address`);
  return u;
}

/**
 * The address a delivery to `u` must connect to: the literal itself, or the first address the name resolves to,
 * provided that every resolved address is public (a name with one private address among public ones is refused:
 * the client could otherwise be steered to it).
 * @throws WebhookUrlRefusedError when an address is private; the resolver's error (retryable) when it fails.
 */
export async function resolvePublicAddress(u: URL, opts: GuardOptions): Promise<{ address: string; family: 4 | 6 }> {
  const literal = literalHost(u);
  const allowed = (ip: string) => !isPrivateAddress(ip) || (opts.allowLoopback && isLoopbackAddress(ip));
  if (literal !== null) {
    if (!allowed(literal)) throw new WebhookUrlRefusedError(`${literal} is not a public address`);
    return { address: literal, family: net.isIPv6(literal) ? 6 : 4 };
  }
  let addresses: { address: string; family: 4 | 6 }[];
  try {
    addresses = await (opts.resolve ?? systemResolve)(u.hostname);
  } catch (cause) {
    throw new TributaryError("WEBHOOK_DNS_FAILED", `cannot resolve ${u.hostname}`, { cause, kind: "retryable" });
  }
  if (addresses.length === 0)
    throw new TributaryError("WEBHOOK_DNS_FAILED", `${u.hostname} has no address`, { kind: "retryable" });
  const bad = addresses.find((a) => !allowed(a.address));
  if (bad) throw new WebhookUrlRefusedError(`${u.hostname} resolves to ${bad.address}, not a public address`);
  return addresses[0];
}
