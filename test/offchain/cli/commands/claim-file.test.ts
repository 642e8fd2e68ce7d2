/**
 * `tributary claim --file`: with the API unreachable, a creator claims from the distribution file alone (the
 * chain is the only other party); a tampered copy of the file is refused before any transaction.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import type { Address } from "viem";
import { royaltySplitterAbi } from "../../../../offchain/chain/abi";
import { devAccounts } from "../../../../offchain/chain/devchain";
import { runCli } from "../../../../offchain/cli/program";
import { buildDistribution, readDistributionFile, writeDistributionFile } from "../../../../offchain/merkle";
import { clientsFor } from "../../helpers/chain";
import { ACCOUNTS, startWebStack, type WebStack } from "../../helpers/web-stack";

/** A URL nothing listens on: a port the OS handed out and that was closed again. */
async function deadUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

describe("offchain/cli/commands/claim-file (claim --file, API down)", function () {
  this.timeout(120_000);
  let s: WebStack;
  let dir: string;
  let file: string;
  let api: string;
  const creatorKey = devAccounts()[ACCOUNTS.creator].privateKey;
  const reader = clientsFor(0).publicClient;

  async function cli(args: string[]) {
    let out = "";
    let err = "";
    const io = {
      out: (t: string) => {
        out += t;
      },
      err: (t: string) => {
        err += t;
      },
      isTty: false,
    };
    const code = await runCli(["--api", api, "--rpc", s.rpcUrl, "--splitter", s.splitter, "--json", ...args], {
      io,
      env: { PRIVATE_KEY: creatorKey },
    });
    return { code, out, err };
  }

  before(async () => {
    s = await startWebStack();
    const posted = await s.closeAndPropose();
    await s.passTimelock(posted.epoch);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-claim-file-"));
    file = path.join(dir, "distribution.ndjson");
    fs.writeFileSync(
      file,
      Buffer.from(await (await fetch(`${s.baseUrl}/v1/epochs/${posted.epoch}/distribution`)).arrayBuffer()),
    );
    api = await deadUrl();
  });
  after(async () => {
    await s?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a copy of the file with one leaf raised (rebuilt root is not the claimable one) and sends nothing", async () => {
    const read = await readDistributionFile(file);
    const d = read.distribution;
    const leaves = Array.from({ length: d.leafCount }, (_, i) => ({
      account: d.leaves.accounts[i],
      token: d.leaves.tokens[i],
      cumulativeAmount:
        d.leaves.amounts[i] + (d.leaves.accounts[i] === s.accounts.creator.address.toLowerCase() ? 1n : 0n),
    }));
    const forged = path.join(dir, "forged.ndjson");
    await writeDistributionFile(await buildDistribution(d, leaves), forged);
    const nonce = await reader.getTransactionCount({ address: s.accounts.creator.address });
    const r = await cli(["claim", "--file", forged]);
    expect(r.code).to.equal(1);
    expect(r.err).to.contain("is not the claimable root");
    expect(await reader.getTransactionCount({ address: s.accounts.creator.address })).to.equal(nonce);
  });

  it("claims every token of the creator's leaves from the file alone, to the base unit, then finds nothing left", async () => {
    const read = await readDistributionFile(file);
    const creator = s.accounts.creator.address;
    const tokens = [s.tokens.tusd.address, s.tokens.teur.address];
    const expected = tokens.map((t) => read.distribution.claimFor(creator, t)!.cumulativeAmount);
    expect(expected.every((v) => v > 0n)).to.equal(true);
    const balances = await Promise.all(tokens.map((t) => s.balanceOf(t, creator)));

    const r = await cli(["claim", "--file", file]);
    expect(r.code, r.err).to.equal(0);
    const body = JSON.parse(r.out) as { account: Address; epoch: number; claims: { token: string; amount: string }[] };
    expect(body.account).to.equal(creator);
    expect(body.claims.map((c) => [c.token, c.amount]).sort()).to.deep.equal(
      tokens.map((t, i) => [t.toLowerCase(), expected[i].toString()]).sort(),
    );
    for (const [i, t] of tokens.entries()) {
      const claimed = await reader.readContract({
        address: s.splitter,
        abi: royaltySplitterAbi,
        functionName: "claimed",
        args: [creator, t],
      });
      expect(claimed).to.equal(expected[i]);
      expect(await s.balanceOf(t, creator)).to.equal(balances[i] + expected[i]);
    }
    const again = await cli(["claim", "--file", file]);
    expect(again.code, again.err).to.equal(0);
    expect((JSON.parse(again.out) as { claims: unknown[] }).claims).to.deep.equal([]);
  });
});
