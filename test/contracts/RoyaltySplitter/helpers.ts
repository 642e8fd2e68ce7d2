/**
 * Shared fixture and helpers for the RoyaltySplitter tests: deployment, OpenZeppelin standard trees,
 * posting roots, and asserting custom errors with their arguments.
 */
import hre from "hardhat";
import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import {
  ContractFunctionRevertedError,
  decodeErrorResult,
  getAddress,
  keccak256,
  toHex,
  type Abi,
  type Address,
  type Hex,
  type WalletClient,
} from "viem";

export const NATIVE: Address = "0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE";
export const TIMELOCK = 86_400;
export const ADMIN_DELAY = 3 * 86_400;
export const LEAF_TYPES = ["address", "address", "uint256"];
export const LICENSE = keccak256(toHex("license-1"));
export const CONTENT = keccak256(toHex("distribution-file"));

export type Leaf = [Address, Address, bigint];
export type Tree = StandardMerkleTree<Leaf>;

export async function deploySplitterFixture() {
  const [admin, poster, guardian, buyer, alice, bob, carol, relayer, outsider] = await hre.viem.getWalletClients();
  const publicClient = await hre.viem.getPublicClient();
  const splitter = await hre.viem.deployContract("RoyaltySplitter", [
    ADMIN_DELAY,
    admin.account.address,
    poster.account.address,
    guardian.account.address,
    TIMELOCK,
  ]);
  const token = await hre.viem.deployContract("MockERC20", ["Token A", "TKA"]);
  const token2 = await hre.viem.deployContract("MockERC20", ["Token B", "TKB"]);
  const permitToken = await hre.viem.deployContract("MockERC20Permit", ["Permit Token", "PRM"]);
  const feeToken = await hre.viem.deployContract("MockFeeOnTransferERC20", [100n]); // 1 % fee
  // Every mock shares OpenZeppelin's ERC-20 mint/approve ABI; one type lets the loop call them.
  for (const t of [token, token2, permitToken, feeToken] as unknown as (typeof token)[]) {
    await t.write.mint([buyer.account.address, 10n ** 30n]);
    await t.write.approve([splitter.address, 2n ** 256n - 1n], { account: buyer.account });
  }
  for (const t of [token.address, token2.address, permitToken.address, feeToken.address, NATIVE]) {
    await splitter.write.setTokenAllowed([t, true], { account: admin.account });
  }
  const abi = [
    ...splitter.abi,
    ...token.abi,
    ...(await hre.artifacts.readArtifact("MockERC20Permit")).abi,
    ...(await hre.artifacts.readArtifact("MockReentrantERC20")).abi,
  ] as Abi;
  return {
    splitter,
    token,
    token2,
    permitToken,
    feeToken,
    publicClient,
    admin,
    poster,
    guardian,
    buyer,
    alice,
    bob,
    carol,
    relayer,
    outsider,
    abi,
  };
}

export type SplitterFixture = Awaited<ReturnType<typeof deploySplitterFixture>>;

/** Builds an OpenZeppelin StandardMerkleTree over (account, token, cumulativeAmount) leaves. */
export function buildTree(leaves: Leaf[]): Tree {
  return StandardMerkleTree.of(leaves, LEAF_TYPES);
}

/** The proof of (account, token) in `tree`, with its leaf. */
export function leafOf(tree: Tree, account: Address, token: Address): { amount: bigint; proof: Hex[] } {
  for (const [i, [a, t, amount]] of tree.entries()) {
    if (getAddress(a) === getAddress(account) && getAddress(t) === getAddress(token)) {
      return { amount, proof: tree.getProof(i) as Hex[] };
    }
  }
  throw new Error(`no leaf for ${account}/${token}`);
}

/** Per-token totals of `leaves`, sorted by token address as proposeRoot requires. */
export function totalsOf(leaves: Leaf[]): { token: Address; total: bigint }[] {
  const sums = new Map<Address, bigint>();
  for (const [, t, amount] of leaves) sums.set(getAddress(t), (sums.get(getAddress(t)) ?? 0n) + amount);
  return [...sums].sort(([a], [b]) => (BigInt(a) < BigInt(b) ? -1 : 1)).map(([token, total]) => ({ token, total }));
}

/** Proposes `tree` as `epoch` from the poster, and lets the timelock pass unless `mature` is false. */
export async function postRoot(
  f: SplitterFixture,
  tree: Tree,
  leaves: Leaf[],
  epoch: number,
  mature = true,
): Promise<void> {
  await f.splitter.write.proposeRoot([tree.root as Hex, CONTENT, epoch, totalsOf(leaves)], {
    account: f.poster.account,
  });
  if (mature) await time.increase(TIMELOCK);
}

/** Deposits `amount` of an ERC-20 (or native ETH) from the buyer. */
export async function depositFrom(f: SplitterFixture, token: Address, amount: bigint): Promise<void> {
  await f.splitter.write.deposit([LICENSE, token, amount], {
    account: f.buyer.account,
    value: token === NATIVE ? amount : 0n,
  });
}

/** EIP-712 ClaimTo authorisation (v2: no nonce) by `signer`; for a smart wallet, its owner signs the digest. */
export async function signClaimTo(
  f: { splitter: { address: Address }; publicClient: { getChainId(): Promise<number> } },
  signer: WalletClient,
  message: { account: Address; token: Address; cumulativeAmount: bigint; recipient: Address; deadline: bigint },
): Promise<Hex> {
  return signer.signTypedData({
    account: signer.account!,
    domain: {
      name: "RoyaltySplitter",
      version: "2",
      chainId: await f.publicClient.getChainId(),
      verifyingContract: f.splitter.address,
    },
    types: {
      ClaimTo: [
        { name: "account", type: "address" },
        { name: "token", type: "address" },
        { name: "cumulativeAmount", type: "uint256" },
        { name: "recipient", type: "address" },
        { name: "deadline", type: "uint256" },
      ],
    },
    primaryType: "ClaimTo",
    message,
  });
}

/** Receipt of a transaction hash. */
export async function receiptOf(f: SplitterFixture, hash: Hex) {
  return f.publicClient.waitForTransactionReceipt({ hash });
}

/**
 * Asserts that `promise` reverts with the custom error `name` and, if given, exactly `args`
 * (decoded with `abi`, which should hold every contract's errors that can surface).
 */
export async function expectRevert(
  promise: Promise<unknown>,
  abi: Abi,
  name: string,
  args?: readonly unknown[],
): Promise<void> {
  let error: unknown;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  expect(error, `expected a revert with ${name}`).to.not.equal(undefined);
  const decoded = decodeRevert(error, abi);
  expect(decoded?.errorName, `revert reason of: ${String(error).slice(0, 600)}`).to.equal(name);
  if (args !== undefined) expect(normalize(decoded?.args ?? [])).to.deep.equal(normalize(args));
}

/**
 * Finds the revert data in a viem / Hardhat error chain and decodes it with `abi`. Writes through
 * hardhat-viem surface the data on Hardhat's SolidityError deep in the `cause` chain; simulations on
 * viem's ContractFunctionRevertedError.
 */
export function decodeRevert(error: unknown, abi: Abi): { errorName: string; args?: readonly unknown[] } | undefined {
  for (
    let e = error as { cause?: unknown; data?: unknown; raw?: unknown } | undefined, depth = 0;
    e && depth < 12;
    depth++
  ) {
    if (e instanceof ContractFunctionRevertedError && e.raw) return decodeErrorResult({ abi, data: e.raw });
    if (typeof e.data === "string" && /^0x[0-9a-f]{8}/i.test(e.data)) {
      return decodeErrorResult({ abi, data: e.data as Hex });
    }
    e = e.cause as typeof e;
  }
  return undefined;
}

/** Lower-cases hex strings so checksummed and plain addresses compare equal. */
function normalize(values: readonly unknown[]): unknown[] {
  return values.map((v) => (typeof v === "string" ? v.toLowerCase() : v));
}
