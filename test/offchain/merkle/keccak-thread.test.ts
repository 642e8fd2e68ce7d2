import { expect } from "chai";
import fc from "fast-check";
import { keccak256 } from "viem";
import { createThreadedKeccak } from "../../../offchain/merkle/keccak-thread";

const shared = (bytes: Uint8Array) => {
  const out = new Uint8Array(new SharedArrayBuffer(Math.max(1, bytes.length)), 0, bytes.length);
  out.set(bytes);
  return out;
};

describe("offchain/merkle/keccak-thread", () => {
  it("digests the concatenation of the chunks exactly like viem's keccak256, in order (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 20 }), async (chunks) => {
        const k = createThreadedKeccak();
        for (const c of chunks) await k.update(shared(c));
        expect(await k.digest()).to.equal(keccak256(Buffer.concat(chunks)));
      }),
      { numRuns: 30 },
    );
  });

  it("refuses chunks that are not backed by a SharedArrayBuffer (they would be copied, or detached)", async () => {
    const k = createThreadedKeccak();
    let error: unknown;
    try {
      await k.update(new Uint8Array(4));
    } catch (e) {
      error = e;
    }
    k.abort();
    expect(error).to.be.instanceOf(TypeError);
  });
});
