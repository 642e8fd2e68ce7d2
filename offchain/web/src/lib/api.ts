/** Calls to the Tributary API (same origin), with the SIWE bearer session kept in sessionStorage. */
import { WebError } from "./errors";

export type Problem = { status: number; title: string; detail?: string; errors?: unknown };

export class ApiProblemError extends WebError {
  override readonly name = "ApiProblemError";
  constructor(readonly problem: Problem) {
    super("WEB_API_PROBLEM", `${problem.title}${problem.detail ? `: ${problem.detail}` : ""} (HTTP ${problem.status})`);
  }
}

const KEY = "tributary.session";

export function sessionToken(): string | null {
  return sessionStorage.getItem(KEY);
}
export function setSessionToken(token: string | null): void {
  if (token) sessionStorage.setItem(KEY, token);
  else sessionStorage.removeItem(KEY);
}

async function call<T>(method: string, path: string, body?: unknown, auth = true): Promise<{ data: T; raw: Response }> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  const token = sessionToken();
  if (auth && token) headers.authorization = `Bearer ${token}`;
  const raw = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!raw.ok) {
    let problem: Problem = { status: raw.status, title: raw.statusText };
    try {
      problem = (await raw.json()) as Problem;
    } catch {
      /* not JSON: keep the status line */
    }
    throw new ApiProblemError(problem);
  }
  const data =
    raw.status === 204
      ? (undefined as T)
      : (raw.headers.get("content-type") ?? "").includes("json")
        ? ((await raw.json()) as T)
        : (undefined as T);
  return { data, raw };
}

export const api = {
  get: async <T>(path: string) => (await call<T>("GET", path)).data,
  post: async <T>(path: string, body: unknown = {}) => (await call<T>("POST", path, body)).data,
  /** The raw bytes of a response (the distribution file must be hashed exactly as served). */
  async bytes(path: string): Promise<Uint8Array> {
    const r = await fetch(path);
    if (!r.ok) throw new ApiProblemError({ status: r.status, title: r.statusText });
    return new Uint8Array(await r.arrayBuffer());
  },
};

/** The largest page `GET /v1/datasets` serves (`limit`'s maximum). */
export const DATASET_PAGE_LIMIT = 100;

/**
 * Every item of a cursor-paginated list: pages of `limit` are read with `?after=<last id>` until one comes back
 * shorter than `limit` (the API's "last page" signal), so a list longer than one page is shown whole.
 */
export async function allPages<T extends { id: string }>(
  get: (path: string) => Promise<T[]>,
  path: string,
  limit: number,
): Promise<T[]> {
  const all: T[] = [];
  const sep = path.includes("?") ? "&" : "?";
  for (let after: string | undefined; ; ) {
    const page = await get(`${path}${sep}limit=${limit}${after === undefined ? "" : `&after=${after}`}`);
    all.push(...page);
    if (page.length < limit) return all;
    after = page[page.length - 1].id;
  }
}

/** Public page settings served by the app (offchain/web/serve.ts). */
export type WebConfig = { chainId: number; splitter: `0x${string}`; rpcUrl: string | null };
export const loadWebConfig = () => api.get<WebConfig>("/web-config.json");
