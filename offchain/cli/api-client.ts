/** A small HTTP client of the Tributary API for scripts: JSON calls, SIWE sign-in, the dev chain's JSON-RPC. */
import type { LocalAccount } from "viem/accounts";
import { createSiweMessage } from "viem/siwe";
import { ApiCallError, CliError } from "./errors";

export type ApiClient = {
  baseUrl: string;
  call<T>(method: string, path: string, auth?: { bearer?: string; apiKey?: string }, body?: unknown): Promise<T>;
  /** SIWE sign-in (nonce → signed message → session); returns the bearer token. */
  signIn(who: LocalAccount, chainId: number): Promise<string>;
  text(path: string): Promise<string>;
};

export function createApiClient(baseUrl: string): ApiClient {
  const host = new URL(baseUrl).host;
  async function call<T>(
    method: string,
    path: string,
    auth: { bearer?: string; apiKey?: string } = {},
    body?: unknown,
  ): Promise<T> {
    const res = await fetch(baseUrl + path, {
      method,
      headers: {
        ...(auth.bearer ? { authorization: `Bearer ${auth.bearer}` } : {}),
        ...(auth.apiKey ? { "x-api-key": auth.apiKey } : {}),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new ApiCallError(`${method} ${path} → ${res.status} ${text}`, res.status);
    return (text ? JSON.parse(text) : undefined) as T;
  }
  return {
    baseUrl,
    call,
    async signIn(who, chainId) {
      const { nonce } = await call<{ nonce: string }>("POST", "/v1/auth/nonce", {}, {});
      const message = createSiweMessage({
        domain: host,
        address: who.address,
        statement: "Sign in to Tributary",
        uri: baseUrl,
        version: "1",
        chainId,
        nonce,
      });
      const signature = await who.signMessage({ message });
      return (await call<{ token: string }>("POST", "/v1/auth/verify", {}, { message, signature })).token;
    },
    async text(path) {
      const res = await fetch(baseUrl + path);
      if (!res.ok) throw new ApiCallError(`GET ${path} → ${res.status}`, res.status);
      return res.text();
    },
  };
}

/** A development-chain JSON-RPC call (evm_increaseTime, evm_mine): not part of any real node's API. */
export async function devRpc(rpcUrl: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new CliError("CLI_RPC_FAILED", `${method}: ${body.error.message}`);
  return body.result;
}
