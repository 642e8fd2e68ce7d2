/**
 * The watcher against a real chain (Hardhat's network over JSON-RPC) and the real service (API on PGlite): the
 * service closes and proposes an honest epoch, then the poster key proposes one broken root per check. Each
 * broken root must be vetoed by the guardian (dev account #2) while pending, with the failing check (and leaf)
 * named, and alerted once (metric + webhook); the honest one passes; a restart mid-epoch neither re-checks
 * nor vetoes twice.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { encodeFunctionData, type Address, type Hex } from "viem";
import { royaltySplitterAbi } from "../../../offchain/chain/abi";
import { createChainClients } from "../../../offchain/chain/clients";
import { silentLogger } from "../../../offchain/chain/common";
import {
  buildDistribution,
  readDistributionFile,
  writeDistributionFile,
  type LeafValue,
  type ReadDistributionFile,
} from "../../../offchain/merkle";
import { apiSource, createWatcher, folderSource, type Watcher, type WatchPass } from "../../../offchain/watch";
import { clientsFor, devAccount, rpc } from "../helpers/chain";
import { startWebStack, type WebStack } from "../helpers/web-stack";

const FILE_DEADLINE = 600;

describe("offchain/watch/watcher against the chain and the service", function () {
  this.timeout(180_000);
  let s: WebStack;
  let dir: string;
  let stateFile: string;
  let honest: ReadDistributionFile;
  let honestEpoch: number;
  let nextEpoch: number;
  const hooks: { epoch: number; failures: { check: string }[]; action: string }[] = [];
  let hookServer: http.Server;
  let hookUrl: string;
  const guardian = devAccount(2);
  const poster = clientsFor(1);
  const reader = clientsFor(0).publicClient;

  const newWatcher = (): Watcher =>
    createWatcher({
      clients: createChainClients({ rpcUrl: s.rpcUrl, account: guardian, pollingIntervalMs: 20 }),
      config: {
        splitter: s.splitter,
        startBlock: 0n,
        stateFile,
        sources: [folderSource(dir), apiSource(s.baseUrl)],
        fileDeadlineSeconds: FILE_DEADLINE,
        webhookUrl: hookUrl,
      },
      logger: silentLogger,
    });

  const vetoLogs = (epoch: number) =>
    reader.getContractEvents({
      address: s.splitter,
      abi: royaltySplitterAbi,
      eventName: "RootVetoed",
      args: { epoch },
      fromBlock: 0n,
      strict: true,
    });

  const honestLeaves = (): LeafValue[] =>
    Array.from({ length: honest.distribution.leafCount }, (_, i) => ({
      account: honest.distribution.leaves.accounts[i],
      token: honest.distribution.leaves.tokens[i],
      cumulativeAmount: honest.distribution.leaves.amounts[i],
    }));
  const honestTotals = () => honest.distribution.tokenTotals.map((t) => ({ token: t.token, total: t.total }));

  /** Writes a distribution file of `leaves` into the watcher's folder (named by its hash); returns root and hash. */
  async function publishFile(
    leaves: LeafValue[],
    meta: { epoch: number; contract?: Address; chainId?: number },
  ): Promise<{ root: Hex; contentHash: Hex; file: string }> {
    const d = await buildDistribution(
      { chainId: meta.chainId ?? 31337, contract: meta.contract ?? s.splitter, epoch: BigInt(meta.epoch) },
      leaves,
    );
    const tmp = path.join(dir, `tmp-${crypto.randomUUID()}`);
    const { contentHash } = await writeDistributionFile(d, tmp);
    const file = path.join(dir, `${contentHash}.ndjson`);
    fs.renameSync(tmp, file);
    return { root: d.root, contentHash, file };
  }

  async function propose(epoch: number, root: Hex, contentHash: Hex, totals: { token: Address; total: bigint }[]) {
    const sorted = [...totals].sort((a, b) => (BigInt(a.token) < BigInt(b.token) ? -1 : 1));
    const hash = await poster.walletClient!.sendTransaction({
      to: s.splitter,
      data: encodeFunctionData({
        abi: royaltySplitterAbi,
        functionName: "proposeRoot",
        args: [root, contentHash, epoch, sorted],
      }),
    });
    const receipt = await poster.publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).to.equal("success");
  }

  /** Runs one watcher pass on a fresh epoch's broken root and checks it was vetoed before maturity. */
  async function expectVetoed(pass: WatchPass, epoch: number, checks: string[]) {
    expect(pass.concluded.map((c) => c.epoch)).to.deep.equal([epoch]);
    expect(pass.concluded[0].status).to.equal("vetoed");
    expect(pass.concluded[0].failures.map((f) => f.check)).to.deep.equal(checks);
    expect(pass.alerts).to.have.length(1);
    expect(pass.alerts[0].action).to.equal("vetoed");
    const logs = await vetoLogs(epoch);
    expect(logs).to.have.length(1);
    expect(logs[0].args.guardian).to.equal(guardian.address);
    expect(logs[0].transactionHash).to.equal(pass.alerts[0].vetoTx);
    const [, claimableEpoch] = await reader.readContract({
      address: s.splitter,
      abi: royaltySplitterAbi,
      functionName: "claimableRoot",
    });
    expect(claimableEpoch).to.equal(honestEpoch); // the broken root never became claimable
    const hook = hooks.find((h) => h.epoch === epoch);
    expect(hook?.failures.map((f) => f.check)).to.deep.equal(checks);
    expect(hook?.action).to.equal("vetoed");
    return pass.concluded[0].failures;
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-watch-"));
    stateFile = path.join(dir, "state", "watch.json");
    hookServer = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString();
      });
      req.on("end", () => {
        hooks.push(JSON.parse(body) as (typeof hooks)[number]);
        res.end();
      });
    });
    await new Promise<void>((r) => hookServer.listen(0, "127.0.0.1", r));
    hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/alert`;
    s = await startWebStack();
    const posted = await s.closeAndPropose();
    honestEpoch = posted.epoch;
    nextEpoch = honestEpoch + 1;
    const res = await fetch(`${s.baseUrl}/v1/epochs/${honestEpoch}/distribution`);
    const bytes = Buffer.from(await res.arrayBuffer());
    honest = await readDistributionFile(
      (async function* () {
        yield bytes;
      })(),
    );
    expect(honest.contentHash).to.equal(posted.contentHash);
    expect(honest.distribution.tokenTotals.length).to.equal(2); // TUSD and TEUR: the omitted-token case needs two
  });
  after(async () => {
    await s?.close();
    hookServer?.closeAllConnections();
    await new Promise<void>((r) => hookServer.close(() => r()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("passes the honest root the service proposed, fetching its file from the API, and vetoes nothing", async () => {
    const w = newWatcher();
    const pass = await w.runOnce();
    expect(pass.concluded).to.deep.equal([{ epoch: honestEpoch, status: "passed", failures: [] }]);
    expect(pass.alerts).to.deep.equal([]);
    expect(await vetoLogs(honestEpoch)).to.deep.equal([]);
    expect(w.failedAny).to.equal(false);
    await s.passTimelock(honestEpoch);
  });

  it("vetoes a root whose published file was tampered with (keccak ≠ contentHash)", async () => {
    const epoch = nextEpoch++;
    const f = await publishFile(honestLeaves(), { epoch });
    await propose(epoch, f.root, f.contentHash, honestTotals());
    // Someone raises one leaf in the published copy (and fixes its header so it still parses).
    const leaves = honestLeaves();
    leaves[0] = { ...leaves[0], cumulativeAmount: leaves[0].cumulativeAmount + 1n };
    const forged = await publishFile(leaves, { epoch });
    fs.renameSync(forged.file, f.file);
    const failures = await expectVetoed(await newWatcher().runOnce(), epoch, ["content-hash"]);
    expect(failures[0].message).to.contain(f.contentHash).and.contain(forged.contentHash);
  });

  it("vetoes a root whose file header names another contract", async () => {
    const epoch = nextEpoch++;
    const f = await publishFile(honestLeaves(), { epoch, contract: s.tokens.tusd.address });
    await propose(epoch, f.root, f.contentHash, honestTotals());
    const failures = await expectVetoed(await newWatcher().runOnce(), epoch, ["header"]);
    expect(failures[0].message).to.contain(`contract ${s.tokens.tusd.address.toLowerCase()}`);
  });

  it("vetoes a root whose file rebuilds to another root", async () => {
    const epoch = nextEpoch++;
    const f = await publishFile(honestLeaves(), { epoch });
    const other = `0x${crypto.randomBytes(32).toString("hex")}` as Hex;
    await propose(epoch, other, f.contentHash, honestTotals());
    const failures = await expectVetoed(await newWatcher().runOnce(), epoch, ["root"]);
    expect(failures[0].message).to.contain(other).and.contain(f.root);
  });

  it("vetoes over-allocated leaves (Σ leaves of a token > its declared total), naming the leaf that crosses it", async () => {
    const epoch = nextEpoch++;
    const leaves = honestLeaves();
    const tusd = s.tokens.tusd.address.toLowerCase();
    const last = leaves.map((l) => l.token).lastIndexOf(tusd as Address);
    leaves[last] = { ...leaves[last], cumulativeAmount: leaves[last].cumulativeAmount + 500n };
    const f = await publishFile(leaves, { epoch });
    await propose(epoch, f.root, f.contentHash, honestTotals());
    const [failure] = await expectVetoed(await newWatcher().runOnce(), epoch, ["totals"]);
    const declared = honestTotals().find((t) => t.token === tusd)!.total;
    expect(failure.message).to.contain(`leaves sum to ${declared + 500n}, the proposal declares ${declared}`);
    expect(failure.leaf).to.deep.include({
      account: leaves[last].account,
      token: tusd,
      cumulativeAmount: leaves[last].cumulativeAmount.toString(),
    });
  });

  it("vetoes a root that leaves a token with leaves out of its declared totals", async () => {
    const epoch = nextEpoch++;
    const f = await publishFile(honestLeaves(), { epoch });
    const teur = s.tokens.teur.address.toLowerCase() as Address;
    await propose(
      epoch,
      f.root,
      f.contentHash,
      honestTotals().filter((t) => t.token !== teur),
    );
    const [failure] = await expectVetoed(await newWatcher().runOnce(), epoch, ["token-declared"]);
    expect(failure.leaf?.token).to.equal(teur);
    expect(failure.message).to.contain(teur);
  });

  it("vetoes a root that lowers one leaf below the previous claimable epoch (totals unchanged)", async () => {
    const epoch = nextEpoch++;
    const leaves = honestLeaves();
    const tusd = s.tokens.tusd.address.toLowerCase() as Address;
    const [a, b] = leaves.flatMap((l, i) => (l.token === tusd ? [i] : [])); // two TUSD leaves
    expect(b, "two TUSD leaves").to.not.equal(undefined);
    leaves[a] = { ...leaves[a], cumulativeAmount: leaves[a].cumulativeAmount - 1n };
    leaves[b] = { ...leaves[b], cumulativeAmount: leaves[b].cumulativeAmount + 1n };
    const f = await publishFile(leaves, { epoch });
    await propose(epoch, f.root, f.contentHash, honestTotals());
    // A watcher that never saw epoch 1's file in memory: it fetches it again (from the API) for the comparison.
    const [failure] = await expectVetoed(await newWatcher().runOnce(), epoch, ["monotonic"]);
    expect(failure.leaf).to.deep.include({
      account: leaves[a].account,
      token: tusd,
      cumulativeAmount: leaves[a].cumulativeAmount.toString(),
    });
    expect(failure.message).to.contain(`below ${leaves[a].cumulativeAmount + 1n} in epoch ${honestEpoch}`);
  });

  it("waits for a missing file until the deadline, then vetoes; a restart mid-epoch (even from a state saved before the veto) neither re-checks nor vetoes twice", async () => {
    const epoch = nextEpoch++;
    const root = `0x${crypto.randomBytes(32).toString("hex")}` as Hex;
    const contentHash = `0x${crypto.randomBytes(32).toString("hex")}` as Hex;
    await propose(epoch, root, contentHash, honestTotals());

    const first = newWatcher();
    const before = await first.runOnce();
    expect(before).to.deep.equal({ concluded: [], waiting: [epoch], alerts: [] });
    expect(await vetoLogs(epoch)).to.deep.equal([]);
    await first.stop();

    // Restart after the deadline (chain time), still before maturity.
    await rpc("evm_increaseTime", [FILE_DEADLINE + 1]);
    await rpc("evm_mine");
    const snapshot = fs.readFileSync(stateFile);
    const second = newWatcher();
    await expectVetoed(await second.runOnce(), epoch, ["file-available"]);
    await second.stop();

    // Another restart: nothing left to do, no transaction from the guardian.
    const nonce = await reader.getTransactionCount({ address: guardian.address });
    const crashed = newWatcher(); // as if the process died after the veto, before saving: the old state file
    fs.writeFileSync(stateFile, snapshot);
    expect(await crashed.runOnce()).to.deep.equal({ concluded: [], waiting: [], alerts: [] });
    const third = newWatcher();
    expect(await third.runOnce()).to.deep.equal({ concluded: [], waiting: [], alerts: [] });
    expect(await reader.getTransactionCount({ address: guardian.address })).to.equal(nonce);
    expect(await vetoLogs(epoch)).to.have.length(1);
    expect(hooks.filter((h) => h.epoch === epoch)).to.have.length(1);
    const statuses = third.epochs().map((r) => [r.proposal.epoch, r.status]);
    expect(statuses).to.deep.equal([
      [honestEpoch, "passed"],
      ...Array.from({ length: epoch - honestEpoch }, (_, i) => [honestEpoch + 1 + i, "vetoed"]),
    ]);
    expect(third.failedAny).to.equal(true);
  });

  it("exports the verdicts as Prometheus metrics", async () => {
    const w = newWatcher();
    await w.runOnce();
    const metrics = await w.registry.metrics();
    // A fresh process counts only what it did: nothing here; the counters of the pass that vetoed are checked below.
    expect(metrics).to.contain("tributary_watch_vetoes_total 0");
    const epoch = nextEpoch++;
    const f = await publishFile(honestLeaves(), { epoch, chainId: 1 });
    await propose(epoch, f.root, f.contentHash, honestTotals());
    await w.runOnce();
    const after = await w.registry.metrics();
    expect(after).to.contain("tributary_watch_vetoes_total 1");
    expect(after).to.contain('tributary_watch_check_failures_total{check="header"} 1');
    expect(after).to.contain(`tributary_watch_last_failed_epoch ${epoch}`);
    expect(after).to.contain('tributary_watch_roots_checked_total{verdict="vetoed"} 1');
  });
});
