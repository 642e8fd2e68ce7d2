/**
 * End to end without a database: deposits made on the in-process chain are read back from the
 * `Deposited` logs, the settlement engine allocates them, the Merkle module builds the distribution,
 * its root is proposed to RoyaltySplitter, and every one of the 1,000 leaves is claimed.
 */
import { expect } from "chai";
import hre from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { getAddress, keccak256, parseEventLogs, toHex, type Address, type Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { allocate, SettlementInputSchema, type SettlementInputRaw } from "../../offchain/settlement";
import { buildDistribution, distributionContentHash, verifyProof } from "../../offchain/merkle";

const TIMELOCK = 3_600;
const CREATORS = 499; // + the treasury = 500 accounts, each paid in 2 tokens: a 1,000-leaf tree
const PER_DATASET = 10;
const EPOCH = { epoch: 1, start: 1_700_000_000, end: 1_700_604_800 };

const id = (label: string): Hex => keccak256(toHex(label));
const addressOf = (label: string): Address => privateKeyToAddress(id(label));

describe("settlement → Merkle distribution → RoyaltySplitter", () => {
  it("lets every account of a 1,000-leaf tree claim exactly its allocation, and totals match on-chain", async () => {
    const [admin, poster, guardian, buyer, relayer] = await hre.viem.getWalletClients();
    const publicClient = await hre.viem.getPublicClient();
    const splitter = await hre.viem.deployContract("RoyaltySplitter", [
      0,
      admin.account.address,
      poster.account.address,
      guardian.account.address,
      TIMELOCK,
    ]);
    const tokens = [
      await hre.viem.deployContract("MockERC20", ["Token A", "TKA"]),
      await hre.viem.deployContract("MockERC20", ["Token B", "TKB"]),
    ];
    for (const token of tokens) {
      await token.write.mint([buyer.account.address, 10n ** 30n]);
      await token.write.approve([splitter.address, 2n ** 256n - 1n], { account: buyer.account });
      await splitter.write.setTokenAllowed([token.address, true], { account: admin.account });
    }

    // Fresh creator addresses (no balance) so each balance after claiming is exactly what was paid.
    const creators = Array.from({ length: CREATORS }, (_, i) => addressOf(`creator-${i}`));
    const treasury = addressOf("treasury");
    const datasets = [];
    for (let d = 0; d * PER_DATASET < CREATORS; d++) {
      const members = creators.slice(d * PER_DATASET, (d + 1) * PER_DATASET);
      const bps = members.map((_, i) =>
        i === 0
          ? 10_000 - Math.floor(10_000 / members.length) * (members.length - 1)
          : Math.floor(10_000 / members.length),
      );
      datasets.push({ id: id(`dataset-${d}`), contributors: members.map((account, i) => ({ account, bps: bps[i] })) });
    }
    // Two one-time licenses per dataset, one per token, with uneven fees so rounding is exercised.
    const licenses = datasets.flatMap((dataset, d) =>
      tokens.map((token, t) => ({
        id: id(`license-${d}-${t}`),
        token: token.address,
        datasets: [{ datasetId: dataset.id, weight: 1 }],
        exclusivity: [],
        model: { kind: "oneTime" as const, fee: 10n ** 18n + BigInt(d * 7_919 + t * 104_729) },
      })),
    );
    for (const license of licenses) {
      await splitter.write.deposit([license.id, license.token, license.model.fee], { account: buyer.account });
    }

    // The engine sees only what the chain recorded.
    const logs = parseEventLogs({
      abi: splitter.abi,
      eventName: "Deposited",
      logs: await publicClient.getLogs({ address: splitter.address, fromBlock: 0n }),
    });
    expect(logs).to.have.length(licenses.length);
    const input: SettlementInputRaw = {
      window: EPOCH,
      platformFee: { bps: 250, treasury },
      datasets,
      licenses,
      deposits: logs.map((log) => ({ licenseId: log.args.licenseId, token: log.args.token, amount: log.args.amount })),
      previous: null,
    };
    const result = allocate(SettlementInputSchema.parse(input));
    expect(result.allocations).to.have.length(1_000);

    const chainId = await publicClient.getChainId();
    const distribution = await buildDistribution(
      { chainId, contract: splitter.address, epoch: 1n },
      result.allocations.map((a) => ({ account: a.account, token: a.token, cumulativeAmount: a.cumulative })),
    );
    const { contentHash } = await distributionContentHash(distribution);
    const totals = [...distribution.tokenTotals]
      .sort((a, b) => (BigInt(a.token) < BigInt(b.token) ? -1 : 1))
      .map((t) => ({ token: getAddress(t.token), total: t.total }));
    await splitter.write.proposeRoot([distribution.root, contentHash, 1, totals], { account: poster.account });
    await time.increase(TIMELOCK);
    expect(await splitter.read.claimableRoot()).to.deep.equal([distribution.root, 1]);

    // Conservation: what the tree pays out is exactly what was deposited (one-time fees fully covered).
    for (const [t, token] of tokens.entries()) {
      const deposited = licenses.filter((_, i) => i % 2 === t).reduce((s, l) => s + l.model.fee, 0n);
      expect(await splitter.read.rootTotal([token.address])).to.equal(deposited);
      expect(totals.find((x) => x.token.toLowerCase() === token.address.toLowerCase())!.total).to.equal(deposited);
    }

    // Anyone may submit a claim; the money goes to the leaf's account.
    for (let i = 0; i < distribution.leafCount; i++) {
      const claim = distribution.claimAt(i);
      expect(verifyProof(distribution.root, claim, claim.proof)).to.equal(true);
      await splitter.write.claim([claim.account, claim.token, claim.cumulativeAmount, claim.proof], {
        account: relayer.account,
      });
    }
    for (const allocation of result.allocations) {
      const token = tokens.find((t) => t.address.toLowerCase() === allocation.token)!;
      expect(await token.read.balanceOf([allocation.account])).to.equal(allocation.cumulative);
      expect(await splitter.read.claimed([allocation.account, allocation.token])).to.equal(allocation.cumulative);
    }
    for (const token of tokens) {
      // Largest-remainder splits leave no dust: the splitter is empty once everyone has claimed.
      expect(await token.read.balanceOf([splitter.address])).to.equal(0n);
    }
  });
});
