import { expect } from "chai";
import hre from "hardhat";
import { keccak256, toHex } from "viem";

describe("toolchain", () => {
  it("compiles with solcjs and deploys on the in-process network", async () => {
    const smoke = await hre.viem.deployContract("Smoke");
    const leaf = keccak256(toHex("x"));
    expect(await smoke.read.f([[], leaf, leaf])).to.equal(true);
  });
});
