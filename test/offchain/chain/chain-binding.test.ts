import { expect } from "chai";
import { bindChain, checkChainBinding, readChainIdentity } from "../../../offchain/chain/chain-binding";
import { openTestDatabase, type TestDb } from "../helpers/database";
import { clientsFor, deployStack, rpc } from "../helpers/chain";

describe("offchain/chain/chain-binding", () => {
  let db: TestDb;
  const clients = clientsFor(0);
  before(async () => {
    db = await openTestDatabase();
  });
  after(async () => db.close());

  it("is unbound on a new database, the same chain after binding, and different when the splitter is gone", async () => {
    const snapshot = await rpc<string>("evm_snapshot");
    const stack = await deployStack();
    const identity = await readChainIdentity(clients, stack.splitter);
    expect(identity.chainId).to.equal(31337);
    expect(await checkChainBinding(db, clients, identity)).to.deep.equal({ status: "unbound" });
    await bindChain(db, identity);
    expect(await checkChainBinding(db, clients, identity)).to.deep.equal({ status: "same" });
    // A chain without the recorded deployment (as after restarting the development chain).
    await rpc("evm_revert", [snapshot]);
    expect(await checkChainBinding(db, clients, identity)).to.deep.equal({
      status: "different",
      reason: "no contract at the recorded splitter address (a new chain)",
    });
  });

  it("is different when the genesis block or the chain id differs", async () => {
    const stack = await deployStack();
    const identity = await readChainIdentity(clients, stack.splitter);
    await bindChain(db, identity);
    await db.prisma.chainBinding.update({ where: { id: 1 }, data: { genesisHash: `0x${"00".repeat(32)}` } });
    expect(await checkChainBinding(db, clients, identity)).to.deep.equal({
      status: "different",
      reason: "genesis block changed (a new chain)",
    });
    await bindChain(db, identity);
    await db.prisma.chainBinding.update({ where: { id: 1 }, data: { chainId: 1 } });
    expect(await checkChainBinding(db, clients, identity)).to.deep.equal({
      status: "different",
      reason: "chain id 1 → 31337",
    });
  });
});
