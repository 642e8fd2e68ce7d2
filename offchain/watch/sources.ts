/**
 * Where a watcher (or `tributary claim --file`) gets a distribution file it does not trust: a local folder, a
 * mirror (a static site the operator publishes), or the service's API. Each source is asked for the file by
 * its content hash; whoever answers, the bytes are only accepted after the caller hashed them, so a source can
 * make a file unavailable but never substitute one.
 */
import fs from "node:fs";
import path from "node:path";
import type { Hex } from "viem";

export type FileRequest = { contentHash: Hex; epoch: number };

/** One place to look; `open` resolves to undefined when the source does not have the file. */
export type DistributionSource = {
  readonly name: string;
  open(req: FileRequest): Promise<AsyncIterable<Uint8Array> | undefined>;
};

/**
 * A folder holding files named `<contentHash>` or `<contentHash>.ndjson` (the mirror layout), or
 * `epoch-<N>.ndjson` (what an operator copying files by hand tends to produce; its hash is checked anyway).
 */
export function folderSource(dir: string): DistributionSource {
  return {
    name: `folder ${dir}`,
    async open({ contentHash, epoch }) {
      for (const name of [contentHash, `${contentHash}.ndjson`, `epoch-${epoch}.ndjson`]) {
        const file = path.join(dir, name);
        if (fs.existsSync(file)) return fs.createReadStream(file);
      }
      return undefined;
    },
  };
}

async function fetchBody(url: string, timeoutMs: number): Promise<AsyncIterable<Uint8Array> | undefined> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    return undefined; // down or unreachable: the same as "not there" for the caller, which tries the next source
  }
  if (!res.ok || res.body === null) {
    await res.body?.cancel();
    return undefined;
  }
  return res.body as unknown as AsyncIterable<Uint8Array>;
}

/** A static mirror: `<base>/<contentHash>.ndjson`. */
export function mirrorSource(base: string, timeoutMs = 30_000): DistributionSource {
  const root = base.replace(/\/$/, "");
  return {
    name: `mirror ${root}`,
    open: ({ contentHash }) => fetchBody(`${root}/${contentHash}.ndjson`, timeoutMs),
  };
}

/**
 * The service: the content-addressed `GET /v1/distributions/:contentHash`, falling back to the per-epoch
 * `GET /v1/epochs/:epoch/distribution` of services that predate it.
 */
export function apiSource(base: string, timeoutMs = 30_000): DistributionSource {
  const root = base.replace(/\/$/, "");
  return {
    name: `api ${root}`,
    async open({ contentHash, epoch }) {
      return (
        (await fetchBody(`${root}/v1/distributions/${contentHash}`, timeoutMs)) ??
        (await fetchBody(`${root}/v1/epochs/${epoch}/distribution`, timeoutMs))
      );
    },
  };
}
