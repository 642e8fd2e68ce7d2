/**
 * What a proof request needs besides the tree, held in process: the latest epoch proofs are served from (the latest
 * `claimable`, else the latest `computed`/`submitted`/`mined`) and every account's claimed totals. With `maxAgeMs > 0` a
 * request reads the snapshot without touching the database; the first request after `maxAgeMs` refreshes it (one
 * query for the epoch, one for the claimed totals changed since the last refresh), so each replica follows
 * promotions, new epochs and the claim watcher's writes (from any process) within `maxAgeMs`. `maxAgeMs = 0` reads
 * fresh on every request (today's behaviour). Memory: one entry per (account, token) that ever claimed, at most the
 * latest tree's leaf count.
 *
 * Claimed totals only ever grow (the watcher writes the highest cumulative seen), so merging a refresh takes the
 * larger value and an overlapping window (for clock skew between writers) is harmless.
 */
import type { PrismaClient } from "../db/client";

export type ProofEpoch = { id: number; root: string; status: string };

/** The epoch proofs come from, and what `account` has claimed per token. */
export type AccountProofState = { latest: ProofEpoch | null; claimed(token: string): bigint };

export type ProofState = { forAccount(account: string): Promise<AccountProofState> };

// Re-read claimed totals updated this long before the last refresh: writers' clocks may differ by that much.
const SKEW_MS = 60_000;

export async function latestProofEpoch(prisma: PrismaClient): Promise<ProofEpoch | null> {
  const select = { id: true, root: true, status: true } as const;
  return (
    (await prisma.epoch.findFirst({ where: { status: "claimable" }, orderBy: { id: "desc" }, select })) ??
    (await prisma.epoch.findFirst({
      where: { status: { in: ["computed", "submitted", "mined"] } },
      orderBy: { id: "desc" },
      select,
    }))
  );
}

export function createProofState(p: { prisma: PrismaClient; maxAgeMs: number }): ProofState {
  const claimed = new Map<string, bigint>();
  let latest: ProofEpoch | null = null;
  let refreshedAt = Number.NEGATIVE_INFINITY;
  let since: Date | undefined;
  let refreshing: Promise<void> | undefined;

  async function refresh(): Promise<void> {
    const started = new Date();
    const nextLatest = await latestProofEpoch(p.prisma);
    const rows = await p.prisma.claimedTotal.findMany({
      where: since ? { updatedAt: { gte: new Date(since.getTime() - SKEW_MS) } } : {},
      select: { account: true, token: true, claimed: true },
    });
    for (const r of rows) {
      const k = `${r.account}:${r.token}`;
      const v = BigInt(r.claimed.toFixed());
      if (v > (claimed.get(k) ?? 0n)) claimed.set(k, v);
    }
    latest = nextLatest;
    since = started;
    refreshedAt = performance.now();
  }

  return {
    async forAccount(account) {
      const a = account.toLowerCase();
      if (p.maxAgeMs <= 0) {
        const fresh = await latestProofEpoch(p.prisma);
        const rows = await p.prisma.claimedTotal.findMany({ where: { account: a } });
        const m = new Map(rows.map((r) => [r.token, BigInt(r.claimed.toFixed())]));
        return { latest: fresh, claimed: (t) => m.get(t.toLowerCase()) ?? 0n };
      }
      if (performance.now() - refreshedAt >= p.maxAgeMs) {
        refreshing ??= refresh().finally(() => {
          refreshing = undefined;
        });
        await refreshing;
      }
      return { latest, claimed: (t) => claimed.get(`${a}:${t.toLowerCase()}`) ?? 0n };
    },
  };
}
