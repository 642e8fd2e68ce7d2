/** The small hand-written distribution the file writer and reader tests both pin byte for byte. */
import type { Address } from "viem";
import { buildDistribution, type Distribution } from "../../../offchain/merkle/distribution";
import { distributionFileChunks } from "../../../offchain/merkle/distribution-file";

export const META = { chainId: 31337, contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address, epoch: 7n };
export const A = "0x00000000000000000000000000000000000000a1" as Address;
export const B = "0x00000000000000000000000000000000000000b2" as Address;
export const T1 = "0x1000000000000000000000000000000000000001" as Address;
export const T2 = "0x2000000000000000000000000000000000000002" as Address;

/** Three leaves given out of canonical order, one of them 0 and one above 2^64. */
export async function small(): Promise<Distribution> {
  return buildDistribution(META, [
    { account: B, token: T2, cumulativeAmount: 5n },
    { account: A, token: T1, cumulativeAmount: 10n ** 30n },
    { account: B, token: T1, cumulativeAmount: 0n },
  ]);
}

export const bytesOf = (d: Distribution) => Buffer.concat([...distributionFileChunks(d)]);

export async function* chunksOf(buf: Buffer, size: number) {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}
