/**
 * What an auditor does with public data only: every proof the API serves must verify against the root the
 * splitter holds, and the published distribution file must rebuild that root and hash to the content hash the
 * RootProposed event committed to.
 */
import type { Address, Hex } from "viem";
import { royaltySplitterAbi, type ChainClients } from "../../offchain/chain";
import { readDistributionFile, verifyProof } from "../../offchain/merkle";
import type { ApiClient } from "../../offchain/cli/api-client";

export type ProofEntry = { token: Address; cumulative: string; proof: Hex[]; epoch: number; root: Hex };

export type AuditReport = {
  epoch: number;
  onChainRoot: Hex;
  committedContentHash: Hex;
  fileRoot: Hex;
  fileContentHash: Hex;
  leafCount: number;
  proofsChecked: number;
  proofsFailed: string[];
};

/** Reads the live root, the RootProposed content hash, the file; verifies every given proof. */
export async function audit(p: {
  api: ApiClient;
  clients: ChainClients;
  splitter: Address;
  fromBlock: bigint;
  proofs: { account: Address; entry: ProofEntry }[];
}): Promise<AuditReport> {
  const { publicClient } = p.clients;
  const [onChainRoot, epoch] = await publicClient.readContract({
    address: p.splitter,
    abi: royaltySplitterAbi,
    functionName: "claimableRoot",
  });
  const logs = await publicClient.getContractEvents({
    address: p.splitter,
    abi: royaltySplitterAbi,
    eventName: "RootProposed",
    args: { epoch },
    fromBlock: p.fromBlock,
    strict: true,
  });
  const proposed = logs.find((l) => l.args.root.toLowerCase() === onChainRoot.toLowerCase());
  if (!proposed) throw new Error(`no RootProposed event for the live root of epoch ${epoch}`);
  const file = await p.api.text(`/v1/epochs/${epoch}/distribution`);
  const read = await readDistributionFile(
    (async function* () {
      yield file;
    })(),
  );
  const proofsFailed = p.proofs.flatMap(({ account, entry }) =>
    entry.epoch === epoch &&
    verifyProof(onChainRoot, { account, token: entry.token, cumulativeAmount: BigInt(entry.cumulative) }, entry.proof)
      ? []
      : [`${account} ${entry.token}`],
  );
  return {
    epoch,
    onChainRoot,
    committedContentHash: proposed.args.contentHash,
    fileRoot: read.distribution.root,
    fileContentHash: read.contentHash,
    leafCount: read.distribution.leafCount,
    proofsChecked: p.proofs.length,
    proofsFailed,
  };
}
