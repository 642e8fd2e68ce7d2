import { expect } from "chai";
import type { Address } from "viem";
import { buildDistribution, distributionFileChunks } from "../../../offchain/merkle";
import type { PrismaClient } from "../../../offchain/db/client";
import { createDistributionCache, EpochNotFoundError } from "../../../offchain/epochs";

const A = "0x00000000000000000000000000000000000000a1" as Address;
const T = "0x1000000000000000000000000000000000000001" as Address;
const C = "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address;

/** A stand-in for the epochs table that counts reads: the cache's promise is about database round trips. */
async function fakeDatabase(epochs: number[]) {
  const files = new Map<number, Buffer>();
  for (const e of epochs) {
    const d = await buildDistribution({ chainId: 31337, contract: C, epoch: BigInt(e) }, [
      { account: A, token: T, cumulativeAmount: BigInt(e) * 100n },
    ]);
    files.set(e, Buffer.concat([...distributionFileChunks(d)]));
  }
  const reads: number[] = [];
  const prisma = {
    epoch: {
      async findUnique({ where }: { where: { id: number } }) {
        reads.push(where.id);
        const f = files.get(where.id);
        return f ? { distribution: new Uint8Array(f) } : null;
      },
    },
  } as unknown as PrismaClient;
  return { prisma, reads, files };
}

describe("offchain/epochs/distribution-cache", () => {
  it("loads each epoch once while cached, concurrent callers sharing the load", async () => {
    const { prisma, reads } = await fakeDatabase([1]);
    const cache = createDistributionCache({ prisma });
    const [x, y] = await Promise.all([cache.get(1), cache.get(1)]);
    expect(x).to.equal(y);
    expect((await cache.get(1)).claimFor(A, T)!.cumulativeAmount).to.equal(100n);
    expect(reads).to.deep.equal([1]);
  });

  it("keeps at most maxEpochs, evicting the least recently used", async () => {
    const { prisma, reads } = await fakeDatabase([1, 2, 3]);
    const cache = createDistributionCache({ prisma, maxEpochs: 2 });
    await cache.get(1);
    await cache.get(2);
    await cache.get(1); // 1 is now the most recently used
    await cache.get(3); // evicts 2
    expect(cache.epochs()).to.deep.equal([1, 3]);
    await cache.get(2); // reloaded, evicts 1
    expect(cache.epochs()).to.deep.equal([3, 2]);
    expect(reads).to.deep.equal([1, 2, 3, 2]);
  });

  it("does not keep a failed load: a missing epoch is EpochNotFoundError, and found once it exists", async () => {
    const { prisma, reads, files } = await fakeDatabase([1]);
    const cache = createDistributionCache({ prisma });
    const err = await cache.get(2).then(
      () => expect.fail("found a missing epoch"),
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(EpochNotFoundError);
    expect(err).to.include({ code: "EPOCH_NOT_FOUND", epoch: 2 });
    expect(cache.epochs()).to.deep.equal([]);
    files.set(2, files.get(1)!);
    await cache.get(2);
    expect(reads).to.deep.equal([2, 2]);
  });

  it("refuses a bound below one", () => {
    expect(() => createDistributionCache({ prisma: {} as PrismaClient, maxEpochs: 0 })).to.throw(RangeError);
  });
});
