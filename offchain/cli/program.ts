/** The `tributary` command line: claim (API or file), verify, watch, epoch close|publish|status, deposit. */
import { Command, CommanderError } from "commander";
import { formatUnits, type Address, type Hex } from "viem";
import { resolveContext, type Context, type GlobalOptions } from "./context";
import { CheckFailed, CliError, errorLine, EXIT_STATUS, exitStatusOf } from "./errors";
import { emit, progress, type Io } from "./output";
import { claimAll } from "./commands/claim";
import { deposit } from "./commands/deposit";
import { closeEpochViaApi, epochStatus, publishOnce } from "./commands/epoch";
import { verifyAccountProofs, verifyDistributionFile } from "./commands/verify";
import { verifyReceiptFile } from "./commands/verify-receipt";
import { verifyEarnings } from "./commands/verify-earnings";
import { auditRecompute } from "./commands/audit";
import { claimFromFile } from "./commands/claim-file";
import { runWatch, type WatchOptions } from "./commands/watch";

export type CliDeps = {
  io: Io;
  env?: Record<string, string | undefined>;
  context?: (opts: GlobalOptions) => Promise<Context>;
  /** Resolves when a long-running command (watch) should stop; the binary wires SIGINT/SIGTERM. */
  until?: Promise<void>;
};

const units = (v: string) => `${v} (${formatUnits(BigInt(v), 18)} at 18 decimals)`;

export function createProgram({ io, env, context, until = new Promise(() => {}) }: CliDeps): Command {
  const program = new Command("tributary")
    .description("Tributary: claim royalties, verify roots and distribution files, run epochs, deposit license fees")
    .option("--api <url>", "API base URL (TRIBUTARY_API, default http://127.0.0.1:8080)")
    .option("--rpc <url>", "JSON-RPC URL (RPC_URL, default: what the API announces)")
    .option("--splitter <address>", "RoyaltySplitter address (SPLITTER_ADDRESS, default: what the API announces)")
    .option("--json", "one JSON document on stdout instead of text")
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();
  const ctx = () => (context ?? ((o) => resolveContext(o, env)))(program.opts<GlobalOptions>());
  const json = () => program.opts<GlobalOptions>().json;

  program
    .command("claim [account]")
    .description("claim everything claimable for an account (default: the key's) with proofs from the API")
    .option("--file <distribution>", "take the proofs from this distribution file instead (no API needed)")
    .action(async (account: Address | undefined, o: { file?: string }) => {
      const r = o.file ? await claimFromFile(await ctx(), o.file, account) : await claimAll(await ctx(), account);
      emit(io, json(), r, () =>
        r.claims.length === 0
          ? `nothing claimable for ${r.account}`
          : r.claims
              .map(
                (c) =>
                  `claimed ${units(c.amount)} of ${c.token} for ${r.account} (cumulative ${c.cumulative}) tx ${c.txHash}`,
              )
              .join("\n"),
      );
    });

  const verify = program.command("verify").description("verify proofs or a distribution file against the chain");
  verify
    .command("proof <account>")
    .description("the API's proofs for <account> against the splitter's live root")
    .action(async (account: Address) => {
      const r = await verifyAccountProofs(await ctx(), account);
      emit(io, json(), r, () =>
        [
          `live root ${r.root} (epoch ${r.epoch})`,
          ...r.proofs.map(
            (p) => `${p.valid ? "valid  " : "INVALID"} ${p.token} cumulative ${p.cumulative} (epoch ${p.epoch})`,
          ),
          r.ok ? "OK" : "FAILED",
        ].join("\n"),
      );
      if (!r.ok) throw new CheckFailed("proof verification failed");
    });
  verify
    .command("file <path>")
    .description("a distribution file: its rebuilt root and keccak against the epoch's RootProposed event")
    .action(async (file: string) => {
      const r = await verifyDistributionFile(await ctx(), file, progress(io, json(), "reading"));
      emit(io, json(), r, () =>
        [
          `epoch ${r.epoch}: ${r.leafCount} leaves, ${r.bytes} bytes`,
          `root          file ${r.fileRoot}  on chain ${r.onChainRoot ?? "(none proposed)"}`,
          `content hash  file ${r.contentHash}  committed ${r.committedContentHash ?? "(none)"}`,
          `chain id and contract in the header ${r.contractMatches ? "match" : "DO NOT match"}`,
          r.ok ? "OK" : "FAILED",
        ].join("\n"),
      );
      if (!r.ok) throw new CheckFailed("distribution file verification failed");
    });

  verify
    .command("receipt <receipt> <distribution>")
    .description("a usage receipt against the usageRoot of its epoch's distribution file, anchored on chain")
    .action(async (receipt: string, file: string) => {
      const r = await verifyReceiptFile(await ctx(), receipt, file);
      emit(io, json(), r, () =>
        [
          `epoch ${r.epoch ?? "?"}: usage root ${r.usageRoot ?? "(none)"}`,
          `file ${r.fileAnchored ? "matches" : "DOES NOT match"} the content hash and root proposed on chain`,
          `receipt ${r.receiptValid ? "verifies" : `DOES NOT verify: ${r.reason}`}`,
          r.ok ? "OK" : "FAILED",
        ].join("\n"),
      );
      if (!r.ok) throw new CheckFailed("usage receipt verification failed");
    });

  verify
    .command("earnings <account>")
    .description(
      "a creator's allocation in an epoch against the usage billed on its datasets: receipts, published rates, its share",
    )
    .requiredOption(
      "--usage <responses...>",
      "its datasets' usage responses (GET /v1/datasets/:id/usage-receipts/:epoch)",
    )
    .requiredOption("--file <distribution>", "the epoch's distribution file")
    .option("--previous <distribution>", "the previous epoch's distribution file (omit for the first epoch)")
    .option("--no-chain", "do not check the files on chain (no RPC needed)")
    .action(async (account: Address, o: { usage: string[]; file: string; previous?: string; chain: boolean }) => {
      const r = await verifyEarnings(o.chain ? await ctx() : null, account, o.usage, o.file, o.previous);
      emit(io, json(), r, () =>
        [
          `epoch ${r.epoch}${r.previousEpoch !== null ? ` (since epoch ${r.previousEpoch})` : ""}, account ${r.account}`,
          `files ${r.fileAnchored === null ? "not checked on chain" : r.fileAnchored ? "match the chain" : "DO NOT match the chain"}`,
          `${r.receiptsVerified} aggregate receipts verify against the usage root`,
          ...r.tokens.map(
            (t) =>
              `${t.status.padEnd(8)} ${t.token}: leaf grew ${t.got}, usage gives ${t.expectedMin === t.expectedMax ? t.expectedMin : `${t.expectedMin} … ${t.expectedMax}`} (±${t.bound})` +
              t.notCheckable
                .map((n) => `\n  not checkable from usage: ${n.model} license ${n.licenseId} on ${n.datasetId}`)
                .join(""),
          ),
          ...(r.mismatch
            ? [
                `MISMATCH${r.mismatch.datasetId ? ` dataset ${r.mismatch.datasetId}` : ""}${r.mismatch.licenseId ? ` license ${r.mismatch.licenseId}` : ""}${r.mismatch.token ? ` token ${r.mismatch.token}: expected ${r.mismatch.expected}, got ${r.mismatch.got}` : ""}: ${r.mismatch.reason}`,
              ]
            : []),
          r.ok ? "OK" : "FAILED",
        ].join("\n"),
      );
      if (!r.ok) throw new CheckFailed("earnings verification failed");
    });

  const audit = program.command("audit").description("recompute an epoch from its audit export");
  audit
    .command("recompute <export>")
    .description("rerun the engine on an audit export; compare the roots and content hash with the chain")
    .option("--file <distribution>", "the published distribution file (default: fetched by its content hash)")
    .action(async (exportPath: string, o: { file?: string }) => {
      const r = await auditRecompute(await ctx(), exportPath, o.file);
      const leaf = r.firstDifferingLeaf;
      emit(io, json(), r, () =>
        [
          `epoch ${r.epoch}`,
          `allocation root  recomputed ${r.root.recomputed}  on chain ${r.root.onChain ?? "(none proposed)"}  ${r.root.match ? "match" : "DIFFER"}`,
          `content hash     recomputed ${r.contentHash.recomputed}  on chain ${r.contentHash.onChain ?? "(none)"}  ${r.contentHash.match ? "match" : "DIFFER"}`,
          `usage root       recomputed ${r.usageRoot.recomputed ?? "(none)"}  ${r.usageRoot.match ? "match" : "DIFFER"}`,
          ...r.inconsistencies.map((x) => `inconsistent usage: ${x}`),
          ...(leaf
            ? [
                `first differing leaf #${leaf.index}: published ${JSON.stringify(leaf.published)}, recomputed ${JSON.stringify(leaf.recomputed)}`,
              ]
            : []),
          r.ok ? "OK" : "FAILED",
        ].join("\n"),
      );
      if (!r.ok) throw new CheckFailed("the recomputed epoch differs from the chain");
    });

  program
    .command("watch")
    .description(
      "check every proposed root against its distribution file; veto (guardian key) and alert on a failed check",
    )
    .option("--state <file>", "the watcher's state file", ".tributary-watch.json")
    .option("--dir <folder>", "local folder of distribution files (<contentHash>.ndjson)")
    .option("--mirror <url>", "static mirror of distribution files (<url>/<contentHash>.ndjson)")
    .option("--no-api", "never fetch files from the service's API")
    .option("--start-block <n>", "first block to scan on a fresh state (the splitter's deployment)", "0")
    .option("--file-deadline <seconds>", "after the proposal, the file must be available within this", "600")
    .option("--veto-margin <seconds>", "the file deadline is at least this long before the root matures", "30")
    .option("--webhook <url>", "POST a JSON alert here per failed root")
    .option("--metrics-port <port>", "serve Prometheus metrics on 127.0.0.1:<port>/metrics")
    .option("--interval <ms>", "poll interval", "5000")
    .option("--once", "one pass, then exit (status 1 if any root failed a check)")
    .action(async (o: WatchOptions) => {
      const logger = {
        info: () => {},
        debug: () => {},
        warn: (obj: object, msg?: string) => io.err(`warning: ${msg ?? ""} ${JSON.stringify(obj)}\n`),
        error: (_obj: object, msg?: string) => io.err(`ALERT: ${msg ?? ""}\n`),
      };
      const r = await runWatch(
        await ctx(),
        o,
        logger,
        (pass) => {
          if (json()) return emit(io, true, pass, () => "");
          for (const c of pass.concluded) {
            io.out(`epoch ${c.epoch}: ${c.status}${c.failures.map((f) => `\n  ${f.check}: ${f.message}`).join("")}`);
          }
          for (const e of pass.waiting) io.out(`epoch ${e}: waiting for its file`);
        },
        until,
      );
      if (r.failedAny) throw new CheckFailed("a proposed root failed a check");
    });

  const epoch = program.command("epoch").description("close, publish or inspect epochs");
  epoch
    .command("close")
    .option("--ends-at <iso>", "end of the epoch (default now)")
    .description("close the next epoch through the operator API (signs in with the key)")
    .action(async (o: { endsAt?: string }) => {
      const r = await closeEpochViaApi(await ctx(), o.endsAt);
      emit(
        io,
        json(),
        r,
        () => `epoch ${r.epoch} closed: root ${r.root}, content hash ${r.contentHash}, ${r.leafCount} leaves`,
      );
    });
  epoch
    .command("publish")
    .description("one root-publisher pass (DATABASE_URL or DATA_DIR; the key is the poster)")
    .action(async () => {
      const r = await publishOnce(await ctx());
      emit(io, json(), r, () =>
        r.submitted !== undefined
          ? `epoch ${r.submitted} submitted`
          : r.failed
            ? `epoch ${r.failed.epoch} failed: ${r.failed.code}`
            : (r.waiting ?? "nothing to publish"),
      );
    });
  epoch
    .command("status")
    .description("epochs in the API beside the splitter's pending and live roots")
    .action(async () => {
      const r = await epochStatus(await ctx());
      emit(io, json(), r, () =>
        [
          ...r.epochs.map(
            (e) =>
              `epoch ${e.epoch}  ${e.status.padEnd(10)} ${e.root}  ${e.leafCount} leaves${e.txHash ? `  tx ${e.txHash}` : ""}`,
          ),
          `on chain: last proposed ${r.chain.lastProposedEpoch}; pending ${r.chain.pending ? `epoch ${r.chain.pending.epoch} ready ${r.chain.pending.readyAt}` : "none"}; live ${r.chain.live ? `epoch ${r.chain.live.epoch} ${r.chain.live.root}` : "none"}`,
        ].join("\n"),
      );
    });

  program
    .command("deposit <licenseId> <amount>")
    .requiredOption("--token <address>", "the license's token")
    .description("approve (if needed) and deposit <amount> base units for <licenseId>")
    .action(async (licenseId: Hex, amount: string, o: { token: Address }) => {
      if (!/^[0-9]+$/.test(amount)) throw new CliError("CLI_ARGUMENT_INVALID", "amount: base units, digits only");
      const r = await deposit(await ctx(), licenseId, BigInt(amount), o.token);
      emit(
        io,
        json(),
        r,
        () =>
          `deposited ${units(r.amount)} for ${r.licenseId} in block ${r.blockNumber}, tx ${r.txHash}${r.approveTx ? ` (approve ${r.approveTx})` : ""}`,
      );
    });
  return program;
}

/** Runs argv (without node and script); returns the exit status ({@link EXIT_STATUS}). */
export async function runCli(argv: string[], deps: CliDeps): Promise<number> {
  try {
    await createProgram(deps).parseAsync(argv, { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; a usage mistake (commander printed it) is a usage error.
      return err.exitCode === 0 ? EXIT_STATUS.ok : EXIT_STATUS.usage;
    }
    const line = errorLine(err);
    if (line !== null) deps.io.err(`${line}\n`);
    return exitStatusOf(err);
  }
}
