/**
 * What a proof request needs besides the tree, held in process: the latest epoch proofs are served from (the latest
 * `claimable`, else the latest `computed`/`submitted`/`mined`) and every account's claimed totals.
 *
 * With `maxAgeMs > 0` (the default, PROOF_STATE_MAX_AGE_MS) a request reads the snapshot and touches no database:
 * - the code that changes the state in this process tells it directly, keyed by its Prisma client: the publication
 *   store calls `proofEpochsChanged` after any epoch status it commits (submitted, mined, claimable, vetoed, back to
 *   computed), the claim watcher calls `proofClaimsRecorded` with the totals it committed;
 * - writers in other processes (replicas, an operator CLI's close) show within `maxAgeMs` plus one refresh: a
 *   request that finds the snapshot older than `maxAgeMs` starts a refresh in the background (one query for the epoch,
 *   one for the claimed totals changed since the last refresh) and is answered from the snapshot meanwhile.
 *
 * The property (test/offchain/epochs/proof-state.test.ts): after this process committed a promotion or a claimed
 * total, no later request answers with the old epoch or a smaller claimed total — `proofEpochsChanged` makes the next
 * request wait for a fresh read, and `proofClaimsRecorded` updates the map before it returns — so `claimable`
 * (cumulative − claimed) never exceeds what this process recorded; another process's writes show within the bound
 * above. `maxAgeMs = 0` reads fresh on every request (two queries). Memory: one entry per (account, token) that ever
 * claimed, at most the latest tree's leaf count.
 *
 * Claimed totals only ever grow (the watcher writes the highest cumulative seen), so merging takes the larger value
 * and an overlapping window (for clock skew between writers) is harmless.
 */
import type { PrismaClient } from "../db/client";

export type ProofEpoch = { id: number; root: string; status: string };

/** The epoch proofs come from, and what `account` has claimed per token. */
export type AccountProofState = { latest: ProofEpoch | null; claimed(token: string): bigint };

export type ProofState = { forAccount(account: string): Promise<AccountProofState> };

/** A claimed total as the claim watcher committed it (lower-case account and token). */
export type ClaimedTotal = { account: string; token: string; total: bigint };

type Listener = { epochsChanged(): void; claimsRecorded(totals: readonly ClaimedTotal[]): void };

// Proof states by the database client they read: a writer using the same client is in the same process, on the same
// database. Weak, so a test's closed database and its states go away together.
const listeners = new WeakMap<PrismaClient, Set<Listener>>();

/** An epoch's status changed in `prisma`'s database (committed): this process's proof states re-read it next request. */
export function proofEpochsChanged(prisma: PrismaClient): void {
  for (const l of listeners.get(prisma) ?? []) l.epochsChanged();
}

/** Claimed totals were committed in `prisma`'s database: this process's proof states take them now. */
export function proofClaimsRecorded(prisma: PrismaClient, totals: readonly ClaimedTotal[]): void {
  if (totals.length === 0) return;
  for (const l of listeners.get(prisma) ?? []) l.claimsRecorded(totals);
}

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

/**
 * `periodic: false` (the embedded database, whose data folder one process opens: every writer is in this process
 * and signals): no refresh after `maxAgeMs`, only after a signal. Each refresh is three queries that PGlite runs on
 * this event loop, a stall every `maxAgeMs` that showed in the proofs' p99.
 */
export function createProofState(p: { prisma: PrismaClient; maxAgeMs: number; periodic?: boolean }): ProofState {
  const claimed = new Map<string, bigint>();
  const take = (k: string, v: bigint) => {
    if (v > (claimed.get(k) ?? 0n)) claimed.set(k, v);
  };
  let latest: ProofEpoch | null = null;
  let refreshedAt = Number.NEGATIVE_INFINITY;
  // Set by a change this process committed: the next request waits for a read that started after it.
  let mustWait = true;
  let since: Date | undefined;
  let refreshing: Promise<void> | undefined;
  let generation = 0;

  async function refresh(): Promise<void> {
    const started = new Date();
    const startedGeneration = generation;
    const nextLatest = await latestProofEpoch(p.prisma);
    const rows = await p.prisma.claimedTotal.findMany({
      where: since ? { updatedAt: { gte: new Date(since.getTime() - SKEW_MS) } } : {},
      select: { account: true, token: true, claimed: true },
    });
    for (const r of rows) take(`${r.account}:${r.token}`, BigInt(r.claimed.toFixed()));
    latest = nextLatest;
    since = started;
    refreshedAt = performance.now();
    // A change signalled while this read was in flight may not be in it: the next request reads again.
    if (generation === startedGeneration) mustWait = false;
  }
  const startRefresh = (): Promise<void> =>
    (refreshing ??= refresh().finally(() => {
      refreshing = undefined;
    }));

  if (p.maxAgeMs > 0) {
    let set = listeners.get(p.prisma);
    if (!set) listeners.set(p.prisma, (set = new Set()));
    set.add({
      epochsChanged() {
        generation++;
        mustWait = true;
      },
      claimsRecorded(totals) {
        for (const t of totals) take(`${t.account.toLowerCase()}:${t.token.toLowerCase()}`, t.total);
      },
    });
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
      // A refresh already in flight may have started before the change: wait until one that started after it ends.
      while (mustWait) await startRefresh();
      if (p.periodic !== false && performance.now() - refreshedAt >= p.maxAgeMs)
        startRefresh().catch(() => {
          // A failed background refresh keeps the snapshot; the next request past maxAgeMs tries again.
        });
      return { latest, claimed: (t) => claimed.get(`${a}:${t.toLowerCase()}`) ?? 0n };
    },
  };
}
