import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { encryptKeystoreJson, Wallet } from "ethers";
import { loadPublisherAccount } from "../../../offchain/chain/keys";
import { expectRejection } from "../helpers/chain";

describe("offchain/chain/keys", () => {
  const wallet = new Wallet("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
  let keystore: string;
  let dir: string;

  before(async () => {
    // Light scrypt parameters keep the test fast; decryption reads them from the file either way.
    keystore = await encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey }, "correct horse", {
      scrypt: { N: 1 << 10 },
    });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-keys-"));
    fs.writeFileSync(path.join(dir, "publisher.json"), keystore);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("decrypts an ethers keystore file into a viem account for the same address that signs like the original", async () => {
    const account = await loadPublisherAccount({
      keystorePath: path.join(dir, "publisher.json"),
      password: "correct horse",
    });
    expect(account.address).to.equal(wallet.address);
    const message = "tributary";
    expect(await account.signMessage({ message })).to.equal(await wallet.signMessage(message));
  });

  it("rejects a wrong password with CHAIN_KEYSTORE_INVALID", async () => {
    const err = await expectRejection(
      loadPublisherAccount({ keystoreJson: keystore, password: "wrong" }),
      "cannot decrypt",
    );
    expect((err as Error & { code: string }).code).to.equal("CHAIN_KEYSTORE_INVALID");
  });

  it("takes a development private key, and refuses one that is not 32 bytes of hex", async () => {
    expect((await loadPublisherAccount({ privateKey: wallet.privateKey })).address).to.equal(wallet.address);
    await expectRejection(loadPublisherAccount({ privateKey: "0x1234" }), "64 hex digits");
  });
});
