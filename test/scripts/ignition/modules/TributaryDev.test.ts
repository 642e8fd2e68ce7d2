import { expect } from "chai";
import hre from "hardhat";
import { getAddress, getContract, keccak256, toHex, type Address } from "viem";
import TributaryDev from "../../../../scripts/ignition/modules/TributaryDev";
import { buildRoyaltySplitterModule } from "../../../../scripts/ignition/modules/RoyaltySplitter";
import { royaltySplitterAbi, testStablecoinAbi } from "../../../../offchain/chain/abi";

// The artifacts' type declarations are not part of the type-checked tree, so read through the committed ABI.
type Deployed = Record<string, { address: Address }>;

describe("scripts/ignition/modules", () => {
  const contracts = async (deployed: Deployed) => {
    const client = await hre.viem.getPublicClient();
    return {
      splitter: getContract({ address: deployed.splitter.address, abi: royaltySplitterAbi, client }),
      stablecoin:
        deployed.stablecoin && getContract({ address: deployed.stablecoin.address, abi: testStablecoinAbi, client }),
    };
  };

  it("TributaryDev deploys the permit stablecoin and a splitter that allow-lists it, with roles from parameters", async () => {
    const [deployer, poster, guardian] = await hre.viem.getWalletClients();
    const deployed = (await hre.ignition.deploy(TributaryDev, {
      parameters: {
        TributaryDev: { poster: poster.account.address, guardian: guardian.account.address, timelock: 120 },
      },
    })) as unknown as Deployed;
    const { splitter, stablecoin } = await contracts(deployed);
    expect(await splitter.read.isTokenAllowed([stablecoin.address])).to.equal(true);
    expect(await splitter.read.timelock()).to.equal(120);
    expect(await splitter.read.TIMELOCK_FLOOR()).to.equal(120);
    expect(await splitter.read.hasRole([keccak256(toHex("POSTER_ROLE")), poster.account.address])).to.equal(true);
    expect(await splitter.read.hasRole([keccak256(toHex("GUARDIAN_ROLE")), guardian.account.address])).to.equal(true);
    expect(getAddress(await splitter.read.defaultAdmin())).to.equal(getAddress(deployer.account.address));
    expect(await stablecoin.read.symbol()).to.equal("TUSD");
  });

  it("RoyaltySplitter allow-lists every given token and defaults to a 3-day admin delay and 1-day timelock", async () => {
    const tokenA = "0x00000000000000000000000000000000000000a1";
    const tokenB = "0x00000000000000000000000000000000000000b2";
    const deployed = (await hre.ignition.deploy(buildRoyaltySplitterModule([tokenA, tokenB]))) as unknown as Deployed;
    const { splitter } = await contracts(deployed);
    expect(await splitter.read.isTokenAllowed([tokenA])).to.equal(true);
    expect(await splitter.read.isTokenAllowed([tokenB])).to.equal(true);
    expect(await splitter.read.isTokenAllowed(["0x00000000000000000000000000000000000000c3"])).to.equal(false);
    expect(await splitter.read.timelock()).to.equal(86_400);
    expect(await splitter.read.TIMELOCK_FLOOR()).to.equal(86_400);
    expect(await splitter.read.defaultAdminDelay()).to.equal(259_200);
  });
});
