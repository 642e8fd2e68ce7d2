/**
 * `tributary watch` — runs the root watcher (offchain/watch) on the auditor's or guardian's own machine: its own
 * RPC (--rpc), its own files (--dir, --mirror; the API last unless --no-api), its key (PRIVATE_KEY or
 * KEYSTORE_PATH: must hold GUARDIAN_ROLE to veto; without a key it only alerts), its state file.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import {
  apiSource,
  createWatcher,
  folderSource,
  mirrorSource,
  type DistributionSource,
  type WatchPass,
} from "../../watch";
import type { ChainLogger } from "../../chain/common";
import type { Context } from "../context";
import { CliError } from "../errors";

export type WatchOptions = {
  state: string;
  dir?: string;
  mirror?: string;
  api: boolean;
  startBlock: string;
  fileDeadline: string;
  vetoMargin: string;
  webhook?: string;
  metricsPort?: string;
  interval: string;
  once?: boolean;
};

const nonNegative = (name: string, v: string): number => {
  if (!/^[0-9]+$/.test(v)) throw new CliError("CLI_ARGUMENT_INVALID", `${name}: a non-negative integer`);
  return Number(v);
};

export function watchSources(ctx: Context, o: Pick<WatchOptions, "dir" | "mirror" | "api">): DistributionSource[] {
  const sources: DistributionSource[] = [];
  if (o.dir) sources.push(folderSource(o.dir));
  if (o.mirror) sources.push(mirrorSource(o.mirror));
  if (o.api) sources.push(apiSource(ctx.api.baseUrl));
  if (sources.length === 0)
    throw new CliError("CLI_ARGUMENT_INVALID", "no file source: give --dir or --mirror, or leave the API on");
  return sources;
}

async function serveMetrics(registry: Registry, port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { "content-type": registry.contentType }).end(body),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return server;
}

/**
 * One pass with --once (resolves with it); otherwise runs until `until` resolves (SIGINT/SIGTERM in the binary).
 * @returns the last pass and whether any root failed a vetoing check (the exit status).
 */
export async function runWatch(
  ctx: Context,
  o: WatchOptions,
  logger: ChainLogger,
  onPass: (p: WatchPass) => void,
  until: Promise<void>,
): Promise<{ failedAny: boolean; metricsUrl?: string }> {
  const watcher = createWatcher({
    clients: await ctx.clients(),
    config: {
      splitter: ctx.splitter,
      startBlock: BigInt(nonNegative("--start-block", o.startBlock)),
      stateFile: o.state,
      sources: watchSources(ctx, o),
      fileDeadlineSeconds: nonNegative("--file-deadline", o.fileDeadline),
      vetoMarginSeconds: nonNegative("--veto-margin", o.vetoMargin),
      pollIntervalMs: nonNegative("--interval", o.interval),
      webhookUrl: o.webhook,
    },
    logger,
  });
  const metrics =
    o.metricsPort === undefined
      ? undefined
      : await serveMetrics(watcher.registry, nonNegative("--metrics-port", o.metricsPort));
  const metricsUrl = metrics && `http://127.0.0.1:${(metrics.address() as AddressInfo).port}/metrics`;
  try {
    if (o.once) {
      onPass(await watcher.runOnce());
      return { failedAny: watcher.failedAny, metricsUrl };
    }
    const interval = nonNegative("--interval", o.interval);
    let stop = false;
    void until.then(() => {
      stop = true;
    });
    while (!stop) {
      try {
        onPass(await watcher.runOnce());
      } catch (err) {
        logger.error({ err }, "watch pass failed; retrying next interval");
      }
      await Promise.race([new Promise((r) => setTimeout(r, interval)), until]);
    }
    return { failedAny: watcher.failedAny, metricsUrl };
  } finally {
    await new Promise<void>((r) => (metrics ? metrics.close(() => r()) : r()));
  }
}
