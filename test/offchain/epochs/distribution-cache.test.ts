import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import type { Address } from "viem";
import { buildDistribution, distributionFileChunks } from "../../../offchain/merkle";
import type { PrismaClient } from "../../../offchain/db/client";
import { createDistributionCache, EpochNotFoundError } from "../../../offchain/epochs";
import { createContentStore, type ContentStore } from "../../../offchain/files";

const A = "0x00000000000000000000000000000000000000a1" as Address;
const T = "0x1000000000000000000000000000000000000001" as Address;
const C = "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address;

/**
 * A stand-in for the epochs table that counts reads (the cache's promise is about round trips), over a real file
 * store in a temporary folder holding each epoch's file under its hash.
 */
async function fakeDatabase(epochs: number[]) {
  const store = createContentStore({ dir: fs.mkdtempSync(path.join(os.tmpdir(), "tributary-cache-")) });
  const files = new Map<number, string>();
  for (const e of epochs) {
    const d = await buildDistribution({ chainId: 31337, contract: C, epoch: BigInt(e) }, [
      { account: A, token: T, cumulativeAmount: BigInt(e) * 100n },
    ]);
    files.set(e, (await store.put(distributionFileChunks(d))).contentHash);
  }
  const reads: number[] = [];
  const prisma = {
    epoch: {
      async findUnique({ where }: { where: { id: number } }) {
        reads.push(where.id);
        const contentHash = files.get(where.id);
        return contentHash ? { contentHash } : null;
      },
    },
  } as unknown as PrismaClient;
  return { prisma, store, reads, files };
}

describe("offchain/epochs/distribution-cache", () => {
  it("loads each epoch once while cached, concurrent callers sharing the load", async () => {
    const { prisma, store, reads } = await fakeDatabase([1]);
    const cache = createDistributionCache({ prisma, store });
    const [x, y] = await Promise.all([cache.get(1), cache.get(1)]);
    expect(x).to.equal(y);
    expect((await cache.get(1)).claimFor(A, T)!.cumulativeAmount).to.equal(100n);
    expect(reads).to.deep.equal([1]);
  });

  it("keeps at most maxEpochs, evicting the least recently used", async () => {
    const { prisma, store, reads } = await fakeDatabase([1, 2, 3]);
    const cache = createDistributionCache({ prisma, store, maxEpochs: 2 });
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
    const { prisma, store, reads, files } = await fakeDatabase([1]);
    const cache = createDistributionCache({ prisma, store });
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
    expect(() =>
      createDistributionCache({ prisma: {} as PrismaClient, store: {} as ContentStore, maxEpochs: 0 }),
    ).to.throw(RangeError);
  });
});
