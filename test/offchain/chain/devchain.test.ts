import { expect } from "chai";
import hre from "hardhat";
import { parseUnits } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { startDevChain, devAccounts, type DevChain } from "../../../offchain/chain/devchain";
import { createChainClients } from "../../../offchain/chain/clients";
import { deployDevStack } from "../../../offchain/chain/deploy";
import { royaltySplitterAbi } from "../../../offchain/chain/abi";
import { decodeRevert } from "../../../offchain/chain/errors";

describe("offchain/chain/devchain", () => {
  let chain: DevChain;
  before(async () => {
    await hre.run("compile", { quiet: true });
    chain = await startDevChain({ provider: hre.network.provider, port: 0 });
  });
  after(async () => chain.close());

  it("serves the in-process network over HTTP on 127.0.0.1 with Hardhat's development accounts", async () => {
    expect(chain.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    const clients = createChainClients({ rpcUrl: chain.url });
    expect(await clients.publicClient.getChainId()).to.equal(31337);
    const inProcess = (await hre.network.provider.request({ method: "eth_blockNumber" })) as string;
    expect(await clients.publicClient.getBlockNumber()).to.equal(BigInt(inProcess));
    const [first] = (await hre.network.provider.request({ method: "eth_accounts" })) as string[];
    expect(chain.accounts[0].address.toLowerCase()).to.equal(first.toLowerCase());
    expect(privateKeyToAccount(chain.accounts[3].privateKey).address).to.equal(devAccounts(4)[3].address);
  });

  it("deploys the development stack over HTTP, and the splitter's custom errors decode from HTTP responses", async () => {
    const admin = createChainClients({ rpcUrl: chain.url, account: privateKeyToAccount(chain.accounts[0].privateKey) });
    const poster = privateKeyToAccount(chain.accounts[1].privateKey);
    const stack = await deployDevStack({
      clients: admin,
      poster: poster.address,
      guardian: chain.accounts[2].address,
      timelockSeconds: 60,
      artifactsDir: hre.config.paths.artifacts,
    });
    expect(
      await admin.publicClient.readContract({
        address: stack.splitter,
        abi: royaltySplitterAbi,
        functionName: "isTokenAllowed",
        args: [stack.stablecoin],
      }),
    ).to.equal(true);
    expect(
      await admin.publicClient.readContract({
        address: stack.splitter,
        abi: royaltySplitterAbi,
        functionName: "timelock",
      }),
    ).to.equal(60);
    const err = await admin.publicClient
      .simulateContract({
        account: poster,
        address: stack.splitter,
        abi: royaltySplitterAbi,
        functionName: "proposeRoot",
        args: [
          `0x${"11".repeat(32)}`,
          `0x${"22".repeat(32)}`,
          1,
          [{ token: stack.stablecoin, total: parseUnits("1", 18) }],
        ],
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(decodeRevert(err)?.errorName).to.equal("RoyaltySplitterInsolventRoot");
  });
});
