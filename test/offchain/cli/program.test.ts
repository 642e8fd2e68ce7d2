import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { encodeFunctionData, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createChainClients, royaltySplitterAbi, testStablecoinAbi } from "../../../offchain/chain";
import { runCli } from "../../../offchain/cli/program";
import { resolveContext } from "../../../offchain/cli/context";
import { devRpc } from "../../../offchain/cli/api-client";
import { startTributary, type Tributary } from "../../../offchain/main/start";
import { runStory, type StoryResult } from "../../../scripts/demo/story";
import { billedUsageRecords } from "../../../offchain/epochs";
import { buildUsageCommitment } from "../../../offchain/merkle/usage-commitment";
import { auditExport, recomputeAudit } from "../../../offchain/epochs/audit-export";
import { readDistributionFile } from "../../../offchain/merkle";

describe("offchain/cli (tributary, against the in-process stack)", function () {
  this.timeout(120_000);
  let t: Tributary;
  let story: StoryResult;
  let dataDir: string;
  const key = (i: number) => t.devAccounts![i].privateKey;

  /** Runs the CLI in-process; the database for `epoch publish` is the stack's own (one PGlite per folder). */
  async function cli(args: string[], env: Record<string, string> = {}) {
    let out = "";
    let err = "";
    const io = { out: (s: string) => void (out += s), err: (s: string) => void (err += s), isTty: false };
    const fullEnv = { TRIBUTARY_API: t.apiUrl, ...env };
    const code = await runCli(args, {
      io,
      env: fullEnv,
      context: async (o) => ({
        ...(await resolveContext(o, fullEnv)),
        openDb: async () => ({ ...t.db, close: async () => {} }),
      }),
    });
    return { code, out, err, json: () => JSON.parse(out) as Record<string, unknown> };
  }

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-cli-"));
    t = await startTributary({
      env: { DATA_DIR: dataDir, PORT: "0", DEV_CHAIN_PORT: "0", LOG_LEVEL: "silent" },
      background: false,
    });
    story = await runStory(t);
  });
  after(async () => {
    await t?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("epoch status shows the API's epoch beside the live root on chain", async () => {
    const r = await cli(["--json", "epoch", "status"]);
    expect(r.code, r.err).to.equal(0);
    const s = r.json() as {
      epochs: { epoch: number; status: string; root: string }[];
      chain: { live: { epoch: number; root: string } };
    };
    expect(s.epochs.map((e) => [e.epoch, e.status])).to.deep.equal([[1, "claimable"]]);
    expect(s.chain.live.epoch).to.equal(1);
    expect(s.chain.live.root).to.equal(s.epochs[0].root);
    const text = await cli(["epoch", "status"]);
    expect(text.out)
      .to.match(/epoch 1\s+claimable/)
      .and.include("live epoch 1");
  });

  it("verify proof accepts the API's proofs for a creator against the on-chain root", async () => {
    const r = await cli(["--json", "verify", "proof", story.rows[0].account]);
    expect(r.code, r.err).to.equal(0);
    expect(r.json()).to.include({ ok: true, epoch: 1 });
  });

  it("verify file accepts the published file and rejects one with a changed amount (exit 1)", async () => {
    const file = path.join(dataDir, "epoch-1.ndjson");
    fs.writeFileSync(file, await (await fetch(`${t.apiUrl}/v1/epochs/1/distribution`)).text());
    const ok = await cli(["verify", "file", file]);
    expect(ok.code, ok.err).to.equal(0);
    expect(ok.out).to.include("OK");
    expect(ok.err).to.include("reading").and.include("(100%)");
    const lines = fs.readFileSync(file, "utf8").split("\n");
    lines[1] = lines[1].replace(/"(\d+)"\]$/, (_m, n: string) => `"${BigInt(n) + 1n}"]`);
    const bad = path.join(dataDir, "tampered.ndjson");
    fs.writeFileSync(bad, lines.join("\n"));
    const r = await cli(["--json", "verify", "file", bad]);
    expect(r.code).to.equal(1);
  });

  it("verify receipt accepts a usage receipt of the published epoch against its file and rejects a changed one", async () => {
    const file = path.join(dataDir, "epoch-1-receipt.ndjson");
    fs.writeFileSync(file, await (await fetch(`${t.apiUrl}/v1/epochs/1/distribution`)).text());
    const row = await t.db.prisma.epoch.findUniqueOrThrow({ where: { id: 1 } });
    // An event receipt as the buyer route builds it: the stored salt, under the epoch's published root.
    const { records, salts } = await billedUsageRecords(t.db.prisma, row.startsAt, row.endsAt);
    const commitment = await buildUsageCommitment({ epoch: 1, secret: row.usageSecret as Hex, records, salts });
    expect(commitment.root).to.equal(row.usageRoot);
    const index = commitment.records.findIndex((r) => r.kind === "event");
    expect(index).to.be.greaterThanOrEqual(0);
    const receipt = commitment.receipt(index);
    const good = path.join(dataDir, "receipt.json");
    fs.writeFileSync(good, JSON.stringify({ epoch: 1, contentHash: row.contentHash, receipt }));
    const ok = await cli(["--json", "verify", "receipt", good, file]);
    expect(ok.code, ok.err).to.equal(0);
    expect(ok.json()).to.deep.equal({
      receipt: good,
      epoch: 1,
      usageRoot: row.usageRoot,
      fileAnchored: true,
      receiptValid: true,
      ok: true,
    });
    const bad = path.join(dataDir, "receipt-tampered.json");
    const units = String(BigInt(receipt.record.units) + 1n);
    fs.writeFileSync(bad, JSON.stringify({ ...receipt, record: { ...receipt.record, units } }));
    const r = await cli(["--json", "verify", "receipt", bad, file]);
    expect(r.code).to.equal(1);
    expect(r.json()).to.include({ fileAnchored: true, receiptValid: false, ok: false });
  });

  it("audit recompute: the demo epoch's export rebuilds the on-chain root and content hash; one more usage unit names the leaf", async () => {
    const exported = await auditExport({ prisma: t.db.prisma, common: t.common }, 1);
    // Pseudonymous: the export names no buyer's idempotency key or item ref.
    const text = JSON.stringify(exported);
    for (const secret of ['"u-1"', '"u-2"', '"r-1"', "article-1", "article-2"]) expect(text).to.not.contain(secret);
    const good = path.join(dataDir, "audit-1.json");
    fs.writeFileSync(good, text);
    const ok = await cli(["--json", "audit", "recompute", good]);
    expect(ok.code, ok.err).to.equal(0);
    const row = await t.db.prisma.epoch.findUniqueOrThrow({ where: { id: 1 } });
    expect(ok.json()).to.deep.equal({
      epoch: 1,
      root: { recomputed: row.root, onChain: row.root, match: true },
      contentHash: { recomputed: row.contentHash, onChain: row.contentHash, match: true },
      usageRoot: { recomputed: row.usageRoot, published: row.usageRoot, match: true },
      inconsistencies: [],
      firstDifferingLeaf: null,
      ok: true,
    });

    // One more unit on the per-use license, in the engine's input and in the committed records alike.
    const tampered = JSON.parse(text) as typeof exported;
    const usage = tampered.input.usage![0];
    usage.units = (BigInt(usage.units) + 1n).toString();
    const key = (r: { licenseId: string; datasetId: string }) => `${r.licenseId}:${r.datasetId}`.toLowerCase();
    const records = tampered.usage!.records;
    const event = records.find((r) => r.kind === "event" && key(r) === key(usage))!;
    const aggregate = records.find((r) => r.kind === "aggregate" && key(r) === key(usage))!;
    event.units = (BigInt(event.units) + 1n).toString();
    aggregate.units = (BigInt(aggregate.units) + 1n).toString();
    const bad = path.join(dataDir, "audit-1-tampered.json");
    fs.writeFileSync(bad, JSON.stringify(tampered));
    const r = await cli(["--json", "audit", "recompute", bad]);
    expect(r.code).to.equal(1);
    const out = r.json() as {
      root: { match: boolean };
      usageRoot: { recomputed: string; published: string; match: boolean };
      inconsistencies: string[];
      firstDifferingLeaf: {
        index: number;
        published: { account: string; token: string; cumulativeAmount: string };
        recomputed: { account: string; token: string; cumulativeAmount: string };
      };
    };
    expect(out.root.match).to.equal(false);
    expect(out.usageRoot).to.deep.include({ published: row.usageRoot, match: false });
    expect(out.inconsistencies).to.deep.equal([]);
    // The named leaf is the published file's leaf at that index, paid more by the extra unit.
    const file = await readDistributionFile(
      (async function* () {
        yield Buffer.from(await (await fetch(`${t.apiUrl}/v1/distributions/${row.contentHash}`)).arrayBuffer());
      })(),
    );
    const leaf = out.firstDifferingLeaf;
    const published = file.distribution.claimAt(leaf.index);
    expect(leaf.published).to.deep.equal({
      account: published.account,
      token: published.token,
      cumulativeAmount: published.cumulativeAmount.toString(),
    });
    expect(leaf.recomputed.account).to.equal(published.account);
    expect(BigInt(leaf.recomputed.cumulativeAmount) > published.cumulativeAmount).to.equal(true);
    // Every earlier leaf is unchanged (it is the first that differs).
    const again = await recomputeAudit(tampered);
    for (let i = 0; i < leaf.index; i++)
      expect(again.distribution.claimAt(i).cumulativeAmount).to.equal(file.distribution.claimAt(i).cumulativeAmount);

    // A change in the records alone is caught as an inconsistency with what the engine billed.
    const onlyRecords = JSON.parse(text) as typeof exported;
    const agg = onlyRecords.usage!.records.find((x) => x.kind === "aggregate")!;
    agg.units = (BigInt(agg.units) + 1n).toString();
    fs.writeFileSync(bad, JSON.stringify(onlyRecords));
    const inconsistent = await cli(["--json", "audit", "recompute", bad]);
    expect(inconsistent.code).to.equal(1);
    expect((inconsistent.json() as { inconsistencies: string[] }).inconsistencies.length).to.be.greaterThan(0);
  });

  it("deposit, epoch close, epoch publish and claim carry a second epoch through to the creators", async () => {
    const buyer = privateKeyToAccount(key(3));
    const buyerClients = createChainClients({ rpcUrl: t.rpcUrl, account: buyer });
    const amount = 1_000_000_000_000_000_000n;
    await buyerClients.publicClient.waitForTransactionReceipt({
      hash: await buyerClients.walletClient!.sendTransaction({
        to: t.stablecoin!,
        data: encodeFunctionData({ abi: testStablecoinAbi, functionName: "mint", args: [buyer.address, amount] }),
      }),
    });
    const before = await t.clients.publicClient.readContract({
      address: t.splitter,
      abi: royaltySplitterAbi,
      functionName: "totalDeposited",
      args: [t.stablecoin!],
    });
    const dep = await cli(["--json", "deposit", story.licenses.oneTime, amount.toString(), "--token", t.stablecoin!], {
      PRIVATE_KEY: key(3),
    });
    expect(dep.code, dep.err).to.equal(0);
    const after = await t.clients.publicClient.readContract({
      address: t.splitter,
      abi: royaltySplitterAbi,
      functionName: "totalDeposited",
      args: [t.stablecoin!],
    });
    expect(after - before).to.equal(amount);
    await t.indexer.runOnce();
    await new Promise((r) => setTimeout(r, 1100)); // epochs end on whole seconds, after the previous one's end

    const closed = await cli(["--json", "epoch", "close"], { PRIVATE_KEY: key(0) });
    expect(closed.code, closed.err).to.equal(0);
    expect(closed.json()).to.include({ epoch: 2 });
    const published = await cli(["--json", "epoch", "publish"], { PRIVATE_KEY: key(1) });
    expect(published.code, published.err).to.equal(0);
    expect(published.json()).to.deep.equal({ submitted: 2 });

    await devRpc(t.rpcUrl, "evm_increaseTime", [121]);
    await devRpc(t.rpcUrl, "evm_mine");
    await t.publisher.runOnce();
    const ada = story.rows.find((r) => r.who === "Ada")!.account as Address;
    const { proofs } = (await (await fetch(`${t.apiUrl}/v1/proofs/${ada}`)).json()) as {
      proofs: { claimable: string; cumulative: string; token: Address }[];
    };
    expect(BigInt(proofs[0].claimable) > 0n).to.equal(true);
    const claim = await cli(["--json", "claim"], { PRIVATE_KEY: key(4) });
    expect(claim.code, claim.err).to.equal(0);
    expect((claim.json() as { claims: { amount: string }[] }).claims.map((c) => c.amount)).to.deep.equal([
      proofs[0].claimable,
    ]);
    const claimed = await t.clients.publicClient.readContract({
      address: t.splitter,
      abi: royaltySplitterAbi,
      functionName: "claimed",
      args: [ada, proofs[0].token],
    });
    expect(claimed).to.equal(BigInt(proofs[0].cumulative));
    const again = await cli(["claim"], { PRIVATE_KEY: key(4) });
    expect(again.out).to.include("nothing claimable");
  });

  it("claim with the buyer's key claims its refund leaf: epoch 2's one-time overpayment, to the base unit", async () => {
    // The one-time fee was already covered in epoch 1, so epoch 2's extra 1 TUSD deposit is an overpayment refunded
    // at once: the buyer's cumulative leaf goes from the story's 100 TUSD (subscription refund, claimed) to 101.
    const buyer = privateKeyToAccount(key(3)).address;
    const one = 10n ** 18n;
    const { proofs } = (await (await fetch(`${t.apiUrl}/v1/proofs/${buyer}`)).json()) as {
      proofs: { claimable: string; cumulative: string; token: Address; epoch: number }[];
    };
    expect(proofs.map((p) => [p.token, p.epoch, p.cumulative, p.claimable])).to.deep.equal([
      [t.stablecoin!.toLowerCase(), 2, (story.refund + one).toString(), one.toString()],
    ]);
    const balance = () =>
      t.clients.publicClient.readContract({
        address: t.stablecoin!,
        abi: testStablecoinAbi,
        functionName: "balanceOf",
        args: [buyer],
      });
    const before = await balance();
    const claim = await cli(["--json", "claim"], { PRIVATE_KEY: key(3) });
    expect(claim.code, claim.err).to.equal(0);
    expect((claim.json() as { claims: { amount: string }[] }).claims.map((c) => c.amount)).to.deep.equal([
      one.toString(),
    ]);
    expect((await balance()) - before).to.equal(one);
  });

  it("fails with a message, not a stack, when a signing command has no key", async () => {
    const r = await cli(["deposit", story.licenses.oneTime, "1", "--token", t.stablecoin!]);
    expect(r.code).to.equal(2); // a missing setting: a usage error (EXIT_STATUS.usage)
    expect(r.err).to.include("PRIVATE_KEY");
  });
});
