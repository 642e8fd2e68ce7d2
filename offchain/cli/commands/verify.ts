/**
 * `tributary verify proof <account>` — the API's proofs for an account against the root the splitter holds.
 * `tributary verify file <path>` — a distribution file: rebuilt root and keccak of its bytes against the on-chain
 * RootProposed event of its epoch (the committed content hash), streamed with progress.
 */
import fs from "node:fs";
import type { Address, Hex } from "viem";
import { royaltySplitterAbi } from "../../chain";
import { readDistributionFile, verifyProof } from "../../merkle";
import type { Context } from "../context";

export type ProofCheck = { token: Address; cumulative: string; epoch: number; valid: boolean };
export type ProofVerification = { account: Address; root: Hex; epoch: number; proofs: ProofCheck[]; ok: boolean };

/** The root proposed on chain for `epoch` (RootProposed), with its content hash. */
export async function proposedRoot(ctx: Context, epoch: number): Promise<{ root: Hex; contentHash: Hex } | undefined> {
  const c = await ctx.clients();
  const logs = await c.publicClient.getContractEvents({
    address: ctx.splitter,
    abi: royaltySplitterAbi,
    eventName: "RootProposed",
    args: { epoch },
    fromBlock: 0n,
    strict: true,
  });
  const last = logs.at(-1);
  return last && { root: last.args.root, contentHash: last.args.contentHash };
}

export async function verifyAccountProofs(ctx: Context, account: Address): Promise<ProofVerification> {
  const c = await ctx.clients();
  const [root, epoch] = await c.publicClient.readContract({
    address: ctx.splitter,
    abi: royaltySplitterAbi,
    functionName: "claimableRoot",
  });
  const { proofs } = await ctx.api.call<{
    proofs: { token: Address; cumulative: string; proof: Hex[]; epoch: number }[];
  }>("GET", `/v1/proofs/${account}`);
  const checks = proofs.map((p) => ({
    token: p.token,
    cumulative: p.cumulative,
    epoch: p.epoch,
    valid:
      p.epoch === epoch &&
      verifyProof(root, { account, token: p.token, cumulativeAmount: BigInt(p.cumulative) }, p.proof),
  }));
  return { account, root, epoch, proofs: checks, ok: checks.length > 0 && checks.every((x) => x.valid) };
}

export type FileVerification = {
  file: string;
  epoch: number;
  leafCount: number;
  bytes: number;
  fileRoot: Hex;
  contentHash: Hex;
  /** The header's usage commitment root (absent in files that predate it). */
  usageRoot?: Hex;
  onChainRoot?: Hex;
  committedContentHash?: Hex;
  contractMatches: boolean;
  ok: boolean;
};

export async function verifyDistributionFile(
  ctx: Context,
  file: string,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<FileVerification> {
  const total = fs.statSync(file).size;
  let done = 0;
  const chunks = (async function* () {
    for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
      done += (chunk as Buffer).length;
      onProgress(done, total);
      yield chunk as Buffer;
    }
  })();
  const read = await readDistributionFile(chunks);
  const epoch = Number(read.header.epoch);
  const onChain = await proposedRoot(ctx, epoch);
  const contractMatches =
    read.header.contract.toLowerCase() === ctx.splitter.toLowerCase() && read.header.chainId === ctx.chainId;
  const ok =
    contractMatches &&
    onChain !== undefined &&
    onChain.root.toLowerCase() === read.distribution.root.toLowerCase() &&
    onChain.contentHash.toLowerCase() === read.contentHash.toLowerCase();
  return {
    file,
    epoch,
    leafCount: read.distribution.leafCount,
    bytes: read.bytes,
    fileRoot: read.distribution.root,
    contentHash: read.contentHash,
    ...(read.header.usageRoot ? { usageRoot: read.header.usageRoot as Hex } : {}),
    onChainRoot: onChain?.root,
    committedContentHash: onChain?.contentHash,
    contractMatches,
    ok,
  };
}
