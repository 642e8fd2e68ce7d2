import crypto from "node:crypto";
import { expect } from "chai";
import { custom, decodeFunctionData, getAddress, keccak256, parseTransaction, parseUnits, type Hex } from "viem";
import { royaltySplitterAbi } from "../../../offchain/chain/abi";
import { createChainClients } from "../../../offchain/chain/clients";
import type { DevStack } from "../../../offchain/chain/deploy";
import { ChainError } from "../../../offchain/chain/errors";
import {
  broadcast,
  feesAtLeast,
  isKnown,
  localAccount,
  proposalCall,
  signProposal,
  type RootProposal,
} from "../../../offchain/chain/publication-tx";
import { clientsFor, deployStack, deposit, POSTER, rpc } from "../helpers/chain";
import hre from "hardhat";

const UNIT = parseUnits("1", 18);
const random32 = () => `0x${crypto.randomBytes(32).toString("hex")}` as Hex;

describe("offchain/chain/publication-tx", () => {
  let stack: DevStack;
  let proposal: RootProposal;
  const poster = clientsFor(1);

  before(async () => {
    stack = await deployStack(3600);
    await deposit(stack, random32(), 100n);
  });
  beforeEach(() => {
    proposal = {
      splitter: stack.splitter,
      root: random32(),
      contentHash: random32(),
      epoch: 1,
      totals: [{ token: stack.stablecoin, total: 40n * UNIT }],
    };
  });
  const nonce = () => poster.publicClient.getTransactionCount({ address: POSTER.address });

  it("proposalCall names proposeRoot on the splitter with root, content hash, epoch and totals", () => {
    expect(proposalCall(proposal)).to.deep.equal({
      address: stack.splitter,
      abi: royaltySplitterAbi,
      functionName: "proposeRoot",
      args: [proposal.root, proposal.contentHash, 1, [{ token: stack.stablecoin, total: 40n * UNIT }]],
    });
  });

  it("localAccount refuses clients without a signing account", () => {
    const transport = custom({ request: (args) => hre.network.provider.request(args) });
    const readOnly = createChainClients({ transport });
    const remote = createChainClients({ transport, account: { address: POSTER.address, type: "json-rpc" } });
    for (const clients of [readOnly, remote]) {
      let caught: unknown;
      try {
        localAccount(clients);
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(ChainError);
      const e = caught as ChainError;
      expect([e.code, e.kind, e.message]).to.deep.equal([
        "CHAIN_ACCOUNT_MISSING",
        "permanent",
        "the root publisher needs a local (signing) account",
      ]);
    }
    expect(localAccount(poster).address).to.equal(POSTER.address);
  });

  it("signProposal signs an EIP-1559 proposeRoot with the given nonce, fees and gas; its hash is keccak(raw)", async () => {
    const fees = { maxFeePerGas: 5_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n };
    const tx = await signProposal(poster, proposal, 41, fees, 300_000n);
    expect(tx).to.deep.equal({ hash: keccak256(tx.raw), raw: tx.raw, nonce: 41, ...fees });
    const parsed = parseTransaction(tx.raw);
    expect({
      type: parsed.type,
      chainId: parsed.chainId,
      to: parsed.to,
      nonce: parsed.nonce,
      gas: parsed.gas,
      maxFeePerGas: parsed.maxFeePerGas,
      maxPriorityFeePerGas: parsed.maxPriorityFeePerGas,
    }).to.deep.equal({ type: "eip1559", chainId: 31337, to: stack.splitter, nonce: 41, gas: 300_000n, ...fees });
    const call = decodeFunctionData({ abi: royaltySplitterAbi, data: parsed.data! });
    expect({ functionName: call.functionName, args: call.args }).to.deep.equal({
      functionName: "proposeRoot",
      // The ABI decoder answers addresses checksummed.
      args: [proposal.root, proposal.contentHash, 1, [{ token: getAddress(stack.stablecoin), total: 40n * UNIT }]],
    });
  });

  it("signProposal without a gas limit estimates one and adds 20%", async () => {
    const estimate = await poster.publicClient.estimateContractGas({
      ...proposalCall(proposal),
      account: POSTER,
    });
    const tx = await signProposal(poster, proposal, await nonce(), await feesAtLeast(poster));
    expect(parseTransaction(tx.raw).gas).to.equal((estimate * 12n) / 10n);
  });

  it("feesAtLeast answers the node's fees, or at least the floor raised by the bump (+1 wei)", async () => {
    const now = await poster.publicClient.estimateFeesPerGas();
    expect(await feesAtLeast(poster)).to.deep.equal({
      maxFeePerGas: now.maxFeePerGas,
      maxPriorityFeePerGas: now.maxPriorityFeePerGas,
    });
    // A floor far above the node's fees: the bumped floor wins on both fields.
    const high = { maxFeePerGas: now.maxFeePerGas * 100n, maxPriorityFeePerGas: now.maxFeePerGas * 50n };
    expect(await feesAtLeast(poster, high, 25)).to.deep.equal({
      maxFeePerGas: (high.maxFeePerGas * 125n) / 100n + 1n,
      maxPriorityFeePerGas: (high.maxPriorityFeePerGas * 125n) / 100n + 1n,
    });
    // A floor of zero: the node's fees win.
    expect(await feesAtLeast(poster, { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n }, 25)).to.deep.equal({
      maxFeePerGas: now.maxFeePerGas,
      maxPriorityFeePerGas: now.maxPriorityFeePerGas,
    });
  });

  it("broadcast: sent, then known while it waits in the mempool, then nonce-used once mined; isKnown follows", async () => {
    const tx = await signProposal(poster, proposal, await nonce(), await feesAtLeast(poster));
    expect(await isKnown(poster, tx.hash)).to.equal(false);
    await rpc("evm_setAutomine", [false]);
    try {
      expect(await broadcast(poster, tx.raw)).to.equal("sent");
      expect(await isKnown(poster, tx.hash)).to.equal(true);
      expect(await broadcast(poster, tx.raw)).to.equal("known");
    } finally {
      await rpc("evm_setAutomine", [true]);
    }
    await rpc("evm_mine");
    const receipt = await poster.publicClient.getTransactionReceipt({ hash: tx.hash });
    expect(receipt.status).to.equal("success");
    expect(await isKnown(poster, tx.hash)).to.equal(true);
    expect(await broadcast(poster, tx.raw)).to.equal("nonce-used");
  });

  it("broadcast rethrows any other refusal (a transaction the sender cannot pay for)", async () => {
    const fees = { maxFeePerGas: 10n ** 30n, maxPriorityFeePerGas: 1n };
    const tx = await signProposal(poster, { ...proposal, epoch: 2 }, await nonce(), fees, 300_000n);
    let caught: unknown;
    try {
      await broadcast(poster, tx.raw);
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(Error);
    expect((caught as Error).message).to.include("Sender doesn't have enough funds to send tx.");
    expect(await isKnown(poster, tx.hash)).to.equal(false);
  });
});
