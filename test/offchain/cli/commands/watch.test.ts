/**
 * `tributary watch --once` as a guardian runs it: its own RPC, a local folder, the API as fallback, the guardian
 * key (dev account #2). Exit 0 and "passed" on the service's honest root; exit 1, the failed check and a veto on
 * a root that leaves a token undeclared; a fresh state does not act on a root already vetoed on chain.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { encodeFunctionData, type Address } from "viem";
import { royaltySplitterAbi } from "../../../../offchain/chain/abi";
import { devAccounts } from "../../../../offchain/chain/devchain";
import { runCli } from "../../../../offchain/cli/program";
import { readDistributionFile } from "../../../../offchain/merkle";
import { clientsFor } from "../../helpers/chain";
import { startWebStack, type WebStack } from "../../helpers/web-stack";

describe("offchain/cli/commands/watch (tributary watch)", function () {
  this.timeout(120_000);
  let s: WebStack;
  let dir: string;
  const guardianKey = devAccounts()[2].privateKey;

  async function cli(args: string[]) {
    let out = "";
    let err = "";
    const io = {
      out: (t: string) => {
        out += `${t}\n`;
      },
      err: (t: string) => {
        err += t;
      },
      isTty: false,
    };
    const code = await runCli(
      ["--api", s.baseUrl, "--rpc", s.rpcUrl, "--splitter", s.splitter, "watch", "--once", "--dir", dir, ...args],
      { io, env: { PRIVATE_KEY: guardianKey } },
    );
    return { code, out, err };
  }

  before(async () => {
    s = await startWebStack();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-watch-cli-"));
  });
  after(async () => {
    await s?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("passes the honest root (file from the API) with exit status 0", async () => {
    const posted = await s.closeAndPropose();
    const r = await cli(["--state", path.join(dir, "state.json")]);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.equal(`epoch ${posted.epoch}: passed\n`);
    await s.passTimelock(posted.epoch);
  });

  it("vetoes a root with an undeclared token, names the check and the leaf's token, exits 1", async () => {
    const res = await fetch(`${s.baseUrl}/v1/epochs/1/distribution`);
    const bytes = Buffer.from(await res.arrayBuffer());
    const read = await readDistributionFile(
      (async function* () {
        yield bytes;
      })(),
    );
    // The same file re-proposed as epoch 2 would fail the header check too; copy it under epoch 2's header instead.
    const { buildDistribution, writeDistributionFile } = await import("../../../../offchain/merkle");
    const d = read.distribution;
    const next = await buildDistribution(
      { chainId: d.chainId, contract: d.contract, epoch: 2n },
      Array.from({ length: d.leafCount }, (_, i) => ({
        account: d.leaves.accounts[i],
        token: d.leaves.tokens[i],
        cumulativeAmount: d.leaves.amounts[i],
      })),
    );
    const tmp = path.join(dir, "next.ndjson");
    const { contentHash } = await writeDistributionFile(next, tmp);
    fs.renameSync(tmp, path.join(dir, `${contentHash}.ndjson`));
    const teur = s.tokens.teur.address.toLowerCase() as Address;
    const poster = clientsFor(1);
    const hash = await poster.walletClient!.sendTransaction({
      to: s.splitter,
      data: encodeFunctionData({
        abi: royaltySplitterAbi,
        functionName: "proposeRoot",
        args: [next.root, contentHash, 2, d.tokenTotals.filter((t) => t.token !== teur)],
      }),
    });
    await poster.publicClient.waitForTransactionReceipt({ hash });

    const r = await cli(["--state", path.join(dir, "state.json")]);
    expect(r.code).to.equal(1);
    expect(r.out).to.contain("epoch 2: vetoed\n  token-declared: token " + teur);
    expect(r.err).to.contain("ALERT: watch: root of epoch 2 failed token-declared (vetoed)");
    const [, , readyAt] = await poster.publicClient.readContract({
      address: s.splitter,
      abi: royaltySplitterAbi,
      functionName: "pendingRoot",
    });
    expect(readyAt).to.equal(0n); // nothing pending any more: the veto landed
  });

  it("from a fresh state re-reads the chain: the root already vetoed on chain is not examined or vetoed again", async () => {
    const r = await cli(["--state", path.join(dir, "fresh.json"), "--json"]);
    // The fresh state re-reads both epochs: 1 passes, 2 is already vetoed on chain and is not examined again.
    expect(r.code, r.err).to.equal(0);
    const pass = JSON.parse(r.out) as { concluded: { epoch: number; status: string }[] };
    expect(pass.concluded).to.deep.equal([{ epoch: 1, status: "passed", failures: [] }]);
  });
});
