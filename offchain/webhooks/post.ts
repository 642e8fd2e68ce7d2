/**
 * One webhook POST to an address checked by the SSRF guard and pinned for the request: the socket connects to that
 * address (the `lookup` hook answers with it), while the Host header and TLS server name stay the URL's host, so the
 * certificate is still verified against the name. Node's http client never follows redirects; a 3xx is an answer
 * like any other non-2xx (the delivery is retried, the Location is not visited).
 */
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { type GuardOptions, checkUrlForm, resolvePublicAddress } from "./address-guard";

export type PostResult = { status: number };

/** The transport the dispatcher uses; tests may replace it. */
export type WebhookPost = (
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
) => Promise<PostResult>;

export function createGuardedPost(guard: GuardOptions): WebhookPost {
  return async (url, headers, body, timeoutMs) => {
    const u = checkUrlForm(url, guard);
    const pinned = await resolvePublicAddress(u, guard);
    const lookup: LookupFunction = (_host, options, cb) => {
      if (options.all) cb(null, [pinned]);
      else cb(null, pinned.address, pinned.family);
    };
    const client = u.protocol === "https:" ? https : http;
    return new Promise<PostResult>((resolve, reject) => {
      const req = client.request(
        u,
        {
          method: "POST",
          headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
          lookup,
          // A fresh connection per delivery: a pooled socket would skip the check and the pin of this attempt.
          agent: false,
          signal: AbortSignal.timeout(timeoutMs),
        },
        (res) => {
          res.resume(); // the body is not read: only the status counts
          resolve({ status: res.statusCode ?? 0 });
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  };
}
