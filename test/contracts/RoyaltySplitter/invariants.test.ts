/**
 * Randomized operation sequences against RoyaltySplitter with a model beside it.
 *
 * FUZZ_STEPS (default 1000) sets the number of steps; FUZZ_SEED replays a run (the seed is printed
 * when a run fails). After every step: each token's balance equals deposits minus claims (so it is
 * at least that); claims of a token never exceed the claimable root's total; claimed[a][t] never
 * exceeds the claimable cumulative of (a, t); every payout matches the model (no double payment).
 */
import hre from "hardhat";
import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { getAddress, keccak256, toHex, type Address, type Hex } from "viem";
import { buildTree, CONTENT, decodeRevert, LICENSE, NATIVE, totalsOf, type Leaf, type Tree } from "./helpers";
import { seededRandom } from "../../../offchain/common/seeded-random";

const STEPS = Number(process.env.FUZZ_STEPS ?? 1000);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const TIMELOCK = 1_000;

interface RootModel {
  epoch: number;
  tree: Tree;
  amounts: Map<string, bigint>; // `${account}:${token}` -> cumulative
  totals: Map<Address, bigint>;
  readyAt: bigint;
}

describe("RoyaltySplitter randomized invariants", () => {
  it(`holds the accounting invariants over ${STEPS} random steps (seed ${SEED}; replay with FUZZ_SEED)`, async () => {
    const rand = seededRandom(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    const upTo = (n: bigint): bigint =>
      n <= 0n ? 0n : BigInt(Math.floor(rand() * Number(n > 2n ** 50n ? 2n ** 50n : n + 1n)));

    const [admin, poster, guardian, buyer, relayer] = await hre.viem.getWalletClients();
    const publicClient = await hre.viem.getPublicClient();
    const splitter = await hre.viem.deployContract("RoyaltySplitter", [
      0,
      admin.account.address,
      poster.account.address,
      guardian.account.address,
      TIMELOCK,
    ]);
    const erc20s = [
      await hre.viem.deployContract("MockERC20", ["A", "A"]),
      await hre.viem.deployContract("MockERC20", ["B", "B"]),
    ];
    const tokens: Address[] = [...erc20s.map((t) => getAddress(t.address)), NATIVE];
    for (const t of erc20s) {
      await t.write.mint([buyer.account.address, 10n ** 30n]);
      await t.write.approve([splitter.address, 2n ** 256n - 1n], { account: buyer.account });
    }
    for (const t of tokens) await splitter.write.setTokenAllowed([t, true], { account: admin.account });
    const accounts: Address[] = Array.from({ length: 6 }, (_, i) =>
      getAddress(keccak256(toHex(`fuzz-account-${i}`)).slice(0, 42)),
    );
    const abi = splitter.abi;

    const deposits = new Map<Address, bigint>(tokens.map((t) => [t, 0n]));
    const claims = new Map<Address, bigint>(tokens.map((t) => [t, 0n]));
    const claimed = new Map<string, bigint>();
    let active: RootModel | undefined;
    let pending: RootModel | undefined;
    let lastEpoch = 0;
    const key = (a: Address, t: Address) => `${a}:${t}`;
    const now = async () => BigInt(await time.latest());
    // Transactions mine in the next block (one second later); views read the latest block.
    const next = async () => (await now()) + 1n;
    const claimableAt = (ts: bigint): RootModel | undefined => (pending && ts >= pending.readyAt ? pending : active);
    const claimable = async (): Promise<RootModel | undefined> => claimableAt(await now());

    const balanceOf = async (t: Address, who: Address): Promise<bigint> =>
      t === NATIVE ? publicClient.getBalance({ address: who }) : erc20s[tokens.indexOf(t)].read.balanceOf([who]);
    const expectFailure = async (p: Promise<unknown>, name: string) => {
      let error: unknown;
      try {
        await p;
      } catch (e) {
        error = e;
      }
      expect(error, `expected ${name}`).to.not.equal(undefined);
      expect(decodeRevert(error, abi)?.errorName).to.equal(name);
    };

    const ops = {
      async deposit() {
        const t = pick(tokens);
        const amount = BigInt(1 + Math.floor(rand() * 1e6));
        await splitter.write.deposit([LICENSE, t, amount], {
          account: buyer.account,
          value: t === NATIVE ? amount : 0n,
        });
        deposits.set(t, deposits.get(t)! + amount);
      },
      async propose() {
        const epoch = lastEpoch + 1 + Math.floor(rand() * 3);
        const ts = await next();
        const base = claimableAt(ts);
        const amounts = new Map(base?.amounts ?? []);
        const leaves: Leaf[] = [];
        // Tokens left out of `totals` keep their claimable total, so their leaves must not change.
        const listed = new Set(tokens.filter(() => rand() < 0.7));
        for (const t of tokens) {
          let headroom = deposits.get(t)! - (base?.totals.get(t) ?? 0n);
          for (const a of accounts) {
            const add = listed.has(t) && rand() < 0.5 ? upTo(headroom / 3n) : 0n;
            headroom -= add;
            const v = (amounts.get(key(a, t)) ?? 0n) + add;
            amounts.set(key(a, t), v);
            if (v > 0n) leaves.push([a, t, v]);
          }
        }
        if (leaves.length === 0) leaves.push([accounts[0], tokens[0], 0n]);
        const tree = buildTree(leaves);
        const totals = totalsOf(leaves).filter((x) => listed.has(x.token));
        const sabotage = rand();
        if (pending && ts < pending.readyAt) {
          await expectFailure(
            splitter.write.proposeRoot([tree.root as Hex, CONTENT, epoch, totals], { account: poster.account }),
            "RoyaltySplitterRootPending",
          );
          return;
        }
        if (sabotage < 0.1 && totals.length > 0) {
          const bad = totals.map((x, i) => (i === 0 ? { ...x, total: deposits.get(x.token)! + 1n } : x));
          await expectFailure(
            splitter.write.proposeRoot([tree.root as Hex, CONTENT, epoch, bad], { account: poster.account }),
            "RoyaltySplitterInsolventRoot",
          );
          return;
        }
        const prev = totals.length > 0 ? (base?.totals.get(totals[0].token) ?? 0n) : 0n;
        if (sabotage < 0.2 && prev > 0n) {
          const bad = totals.map((x, i) => (i === 0 ? { ...x, total: prev - 1n } : x));
          await expectFailure(
            splitter.write.proposeRoot([tree.root as Hex, CONTENT, epoch, bad], { account: poster.account }),
            "RoyaltySplitterTotalDecreased",
          );
          return;
        }
        await splitter.write.proposeRoot([tree.root as Hex, CONTENT, epoch, totals], { account: poster.account });
        if (pending) active = pending; // matured: promoted
        const totalsMap = new Map(base?.totals ?? []);
        for (const { token, total } of totals) totalsMap.set(token, total);
        pending = { epoch, tree, amounts, totals: totalsMap, readyAt: ts + BigInt(TIMELOCK) };
        lastEpoch = epoch;
      },
      async veto() {
        if (!pending) return;
        if ((await next()) >= pending.readyAt) {
          // A matured root cannot be vetoed; the model keeps it as the matured pending root.
          await expectFailure(
            splitter.write.vetoRoot([pending.epoch], { account: guardian.account }),
            "RoyaltySplitterRootAlreadyMatured",
          );
          return;
        }
        await splitter.write.vetoRoot([pending.epoch], { account: guardian.account });
        pending = undefined;
      },
      async travel() {
        await time.increase(1 + Math.floor(rand() * TIMELOCK * 1.5));
      },
      async claim() {
        const a = pick(accounts);
        const t = pick(tokens);
        const root = claimableAt(await next());
        if (!root) {
          await expectFailure(
            splitter.write.claim([a, t, 1n, []], { account: relayer.account }),
            "RoyaltySplitterNoClaimableRoot",
          );
          return;
        }
        const cumulative = root.amounts.get(key(a, t)) ?? 0n;
        if (cumulative === 0n) return;
        let proof: Hex[] = [];
        for (const [i, [la, lt]] of root.tree.entries())
          if (la === a && lt === t) proof = root.tree.getProof(i) as Hex[];
        const already = claimed.get(key(a, t)) ?? 0n;
        const before = await balanceOf(t, a);
        if (cumulative <= already) {
          await expectFailure(
            splitter.write.claim([a, t, cumulative, proof], { account: relayer.account }),
            "RoyaltySplitterNothingToClaim",
          );
          return;
        }
        await splitter.write.claim([a, t, cumulative, proof], { account: relayer.account });
        expect(await balanceOf(t, a)).to.equal(before + cumulative - already, "payout must be exactly the difference");
        claimed.set(key(a, t), cumulative);
        claims.set(t, claims.get(t)! + cumulative - already);
      },
      async batchClaim() {
        const root = claimableAt(await next());
        if (!root) return;
        const pairs = new Map<string, [Address, Address]>();
        for (let i = 0; i < 3; i++) {
          const a = pick(accounts);
          const t = pick(tokens);
          if ((root.amounts.get(key(a, t)) ?? 0n) > 0n) pairs.set(key(a, t), [a, t]);
        }
        const requests = [...pairs.values()].map(([a, t]) => {
          let proof: Hex[] = [];
          for (const [i, [la, lt]] of root.tree.entries())
            if (la === a && lt === t) proof = root.tree.getProof(i) as Hex[];
          return { account: a, token: t, cumulativeAmount: root.amounts.get(key(a, t))!, proof };
        });
        const before = await Promise.all(requests.map((r) => balanceOf(r.token, r.account)));
        await splitter.write.claimBatch([requests], { account: relayer.account });
        for (const [i, r] of requests.entries()) {
          const already = claimed.get(key(r.account, r.token)) ?? 0n;
          const paid = r.cumulativeAmount > already ? r.cumulativeAmount - already : 0n;
          expect(await balanceOf(r.token, r.account)).to.equal(
            before[i] + paid,
            "batch payout must be exactly the difference",
          );
          if (paid > 0n) {
            claimed.set(key(r.account, r.token), r.cumulativeAmount);
            claims.set(r.token, claims.get(r.token)! + paid);
          }
        }
      },
      async forgedClaim() {
        const root = claimableAt(await next());
        if (!root) return;
        const a = pick(accounts);
        const t = pick(tokens);
        const cumulative = (root.amounts.get(key(a, t)) ?? 0n) + 1n;
        await expectFailure(
          splitter.write.claim([a, t, cumulative, []], { account: relayer.account }),
          "RoyaltySplitterInvalidProof",
        );
      },
    };
    const weighted: (keyof typeof ops)[] = [
      "deposit",
      "deposit",
      "propose",
      "propose",
      "veto",
      "travel",
      "travel",
      "claim",
      "claim",
      "claim",
      "batchClaim",
      "forgedClaim",
    ];

    const checkInvariants = async (step: number) => {
      const root = await claimable();
      for (const t of tokens) {
        const balance = await balanceOf(t, splitter.address);
        const rootTotal = await splitter.read.rootTotal([t]);
        expect(
          balance >= deposits.get(t)! - claims.get(t)!,
          `step ${step}: balance of ${t} below deposits - claims`,
        ).to.equal(true);
        expect(balance).to.equal(deposits.get(t)! - claims.get(t)!, `step ${step}: balance of ${t}`);
        expect(rootTotal).to.equal(root?.totals.get(t) ?? 0n, `step ${step}: rootTotal of ${t}`);
        expect(claims.get(t)! <= rootTotal, `step ${step}: claims of ${t} exceed the claimable total`).to.equal(true);
        expect(await splitter.read.totalDeposited([t])).to.equal(deposits.get(t)!);
      }
      expect((await splitter.read.claimableRoot())[0]).to.equal(
        root ? (root.tree.root as Hex) : `0x${"00".repeat(32)}`,
      );
      if (step % 25 === 0) {
        for (const a of accounts) {
          for (const t of tokens) {
            const onChain = await splitter.read.claimed([a, t]);
            expect(onChain).to.equal(claimed.get(key(a, t)) ?? 0n, `step ${step}: claimed ${a}/${t}`);
            expect(
              onChain <= (root?.amounts.get(key(a, t)) ?? 0n),
              `step ${step}: claimed above the claimable cumulative`,
            ).to.equal(true);
            expect(await balanceOf(t, a)).to.equal(
              onChain,
              `step ${step}: ${a} received other than its claims of ${t}`,
            );
          }
        }
      }
    };

    let step = 0;
    const counts: Record<string, number> = {};
    try {
      for (; step < STEPS; step++) {
        const op = pick(weighted);
        counts[op] = (counts[op] ?? 0) + 1;
        await ops[op]();
        await checkInvariants(step);
      }
      await checkInvariants(0);
    } catch (error) {
      console.error(`\n  randomized run failed at step ${step}: replay with FUZZ_SEED=${SEED} FUZZ_STEPS=${STEPS}\n`);
      throw error;
    }
    const totalClaimed = [...claims.values()].reduce((x, y) => x + y, 0n);
    console.log(
      `      seed ${SEED}: ${JSON.stringify(counts)}, ${lastEpoch} epochs, ${totalClaimed} base units claimed`,
    );
    expect(totalClaimed > 0n, "the run should have paid some claims").to.equal(true);
  });
});
