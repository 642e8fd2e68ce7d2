/**
 * `tributary epoch close` — closes the next epoch through the operator route (SIWE with the key).
 * `tributary epoch publish` — one root-publisher pass against the service database (DATABASE_URL or DATA_DIR; for
 *   an embedded database the service must not be running) with the key as poster.
 * `tributary epoch status` — the API's epochs beside the splitter's pending and live roots.
 */
import type { Hex } from "viem";
import { createRootPublisher, moduleConfigs, royaltySplitterAbi, type PublishPass } from "../../chain";
import { silentLogger } from "../../chain/common";
import type { Context } from "../context";
import { CliError } from "../errors";

export type ClosedEpoch = { epoch: number; root: Hex; contentHash: Hex; leafCount: number };

export async function closeEpochViaApi(ctx: Context, endsAt?: string): Promise<ClosedEpoch> {
  const token = await ctx.api.signIn(await ctx.account(), ctx.chainId);
  return ctx.api.call<ClosedEpoch>("POST", "/v1/operator/epochs", { bearer: token }, endsAt ? { endsAt } : {});
}

export async function publishOnce(ctx: Context): Promise<PublishPass> {
  const clients = await ctx.clients();
  if (!clients.walletClient)
    throw new CliError("CLI_CONFIG_MISSING", "publishing signs: set PRIVATE_KEY or KEYSTORE_PATH (the poster's key)");
  const db = await ctx.openDb();
  try {
    const publisher = createRootPublisher({
      common: { logger: silentLogger },
      db,
      clients,
      config: moduleConfigs(ctx.settings.chain, ctx.splitter).publisher,
    });
    return await publisher.runOnce();
  } finally {
    await db.close();
  }
}

export type EpochStatus = {
  epochs: { epoch: number; status: string; root: string; leafCount: number; txHash: string | null }[];
  chain: {
    lastProposedEpoch: number;
    pending: { epoch: number; root: Hex; readyAt: string } | null;
    live: { epoch: number; root: Hex } | null;
  };
};

export async function epochStatus(ctx: Context): Promise<EpochStatus> {
  const { publicClient } = await ctx.clients();
  const read = <F extends "lastProposedEpoch" | "pendingRoot" | "claimableRoot">(functionName: F) =>
    publicClient.readContract({ address: ctx.splitter, abi: royaltySplitterAbi, functionName });
  const [epochs, last, pending, live] = await Promise.all([
    ctx.api.call<EpochStatus["epochs"]>("GET", "/v1/epochs"),
    read("lastProposedEpoch"),
    read("pendingRoot"),
    read("claimableRoot").catch(() => undefined),
  ]);
  const zero = (h: Hex) => /^0x0*$/.test(h);
  return {
    epochs: epochs.map((e) => ({
      epoch: e.epoch,
      status: e.status,
      root: e.root,
      leafCount: e.leafCount,
      txHash: e.txHash,
    })),
    chain: {
      lastProposedEpoch: Number(last),
      pending: zero(pending[0])
        ? null
        : { epoch: pending[1], root: pending[0], readyAt: new Date(Number(pending[2]) * 1000).toISOString() },
      live: !live || zero(live[0]) ? null : { epoch: live[1], root: live[0] },
    },
  };
}
