import fs from "node:fs";
import path from "node:path";
import hre from "hardhat";
import { expect } from "chai";
import { ABI_FILE, renderAbiModule } from "../../../scripts/chain/generate-abi";

describe("offchain/chain/abi", () => {
  it("committed abi.ts equals the ABI of the compiled artifacts (run `npm run chain:abi` when this fails)", async () => {
    await hre.run("compile", { quiet: true });
    const expected = renderAbiModule(hre.config.paths.artifacts);
    const actual = fs.readFileSync(ABI_FILE, "utf8");
    expect(actual === expected, `${path.relative(process.cwd(), ABI_FILE)} is stale`).to.equal(true);
  });
});
