/**
 * Which chain the database's records belong to. The development chain starts empty on every run; its records
 * from a previous run (deposits, epochs, publications) describe blocks that no longer exist, so the service must
 * notice and start its embedded database fresh instead of mixing them. The binding is (chain id, genesis block
 * hash, splitter address) plus a check that the splitter has code: a fresh Hardhat chain started within the same
 * second can reproduce the genesis hash, but not the deployed contract.
 */
import type { Address, Hex } from "viem";
import type { ChainClients } from "./clients";
import type { Db } from "../db/client";

export type ChainIdentity = { chainId: number; genesisHash: Hex; splitter: Address };

export type BindingCheck = { status: "unbound" } | { status: "same" } | { status: "different"; reason: string };

export async function readChainIdentity(clients: ChainClients, splitter: Address): Promise<ChainIdentity> {
  const [chainId, genesis] = await Promise.all([
    clients.publicClient.getChainId(),
    clients.publicClient.getBlock({ blockNumber: 0n }),
  ]);
  return { chainId, genesisHash: genesis.hash, splitter: splitter.toLowerCase() as Address };
}

/** Compares the chain with the one the database was bound to. */
export async function checkChainBinding(db: Db, clients: ChainClients, identity: ChainIdentity): Promise<BindingCheck> {
  const row = await db.prisma.chainBinding.findUnique({ where: { id: 1 } });
  if (!row) return { status: "unbound" };
  if (row.chainId !== identity.chainId)
    return { status: "different", reason: `chain id ${row.chainId} → ${identity.chainId}` };
  if (row.genesisHash !== identity.genesisHash.toLowerCase())
    return { status: "different", reason: "genesis block changed (a new chain)" };
  if (row.splitterAddress !== identity.splitter.toLowerCase()) {
    return { status: "different", reason: `splitter ${row.splitterAddress} → ${identity.splitter}` };
  }
  const code = await clients.publicClient.getCode({ address: identity.splitter });
  if (!code || code === "0x")
    return { status: "different", reason: "no contract at the recorded splitter address (a new chain)" };
  return { status: "same" };
}

/** Records the chain this database now belongs to. */
export async function bindChain(db: Db, identity: ChainIdentity): Promise<void> {
  const data = {
    chainId: identity.chainId,
    genesisHash: identity.genesisHash.toLowerCase(),
    splitterAddress: identity.splitter.toLowerCase(),
  };
  await db.prisma.chainBinding.upsert({ where: { id: 1 }, create: { id: 1, ...data }, update: data });
}
