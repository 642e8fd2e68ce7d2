/**
 * `npm start`: the whole system in one process (offchain/main/start.ts) — with no configuration a development
 * chain (kept across restarts in DATA_DIR), contracts, embedded database, indexer, claim watcher, publisher,
 * scheduler, API and pages. Ctrl-C stops everything and exits 0.
 */
import { startTributary, DEV_ROLES, type Tributary } from "../offchain/main/start";

function banner(t: Tributary): string {
  const lines = [
    "",
    "Tributary is running",
    `  API + pages   ${t.apiUrl}  (docs ${t.apiUrl}/docs, health ${t.apiUrl}/health)`,
    `  creator page  ${t.apiUrl}/creator   buyer ${t.apiUrl}/buyer   auditor ${t.apiUrl}/auditor`,
    `  JSON-RPC      ${t.rpcUrl}  (chain id ${t.chainId}${t.devAccounts ? ", in-process development chain" : ""})`,
    `  splitter      ${t.splitter}`,
    ...(t.stablecoin ? [`  stablecoin    ${t.stablecoin}  (TUSD, 18 decimals, anyone may mint)`] : []),
    `  database      ${t.db.kind}${t.db.kind === "pglite" ? ` in ${t.common.config.database.dataDir}` : ""}`,
  ];
  if (t.devChain) {
    const j = t.devChain;
    lines.push(
      j.newChain === undefined
        ? `  dev chain     restored: ${j.replayedEntries} journaled requests, ${j.replayedBlocks} blocks replayed`
        : `  dev chain     new (${j.newChain})${j.deployed ? "; contracts deployed" : ""}`,
    );
  }
  if (t.databaseReset)
    lines.push(`  NOTE: fresh chain detected (${t.databaseReset}); the embedded database starts empty with it.`);
  if (t.devAccounts) {
    const role = Object.fromEntries(Object.entries(DEV_ROLES).map(([k, v]) => [v, k])) as Record<number, string>;
    lines.push("", "Development accounts — DEV ONLY: these keys are public, never send real funds to them");
    t.devAccounts.forEach((a, i) => {
      const r = role[i] ? ` (${role[i]}${i === DEV_ROLES.admin ? ", API operator" : ""})` : "";
      lines.push(`  #${i} ${a.address}  ${a.privateKey}${r}`);
    });
  }
  lines.push("", "Ready. Ctrl-C stops.");
  return lines.join("\n");
}

async function main(): Promise<void> {
  const t = await startTributary();
  process.stdout.write(banner(t) + "\n");
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    t.common.logger.info({ signal }, "shutting down");
    t.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
