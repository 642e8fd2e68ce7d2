/**
 * The publisher's signing key: an encrypted JSON keystore (Web3 Secret Storage, decrypted with ethers v6) in
 * production, or a raw private key (development); offchain/config reads which one from the environment. Either way the result is a viem
 * local account; the key never leaves this process and is never logged.
 */
import fs from "node:fs";
import { Wallet } from "ethers";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import type { Hex } from "viem";
import { ChainError } from "./errors";

export type PublisherKeySource =
  | { keystorePath: string; password: string }
  | { keystoreJson: string; password: string }
  | { privateKey: string };

/** Loads the publisher account; rejects with CHAIN_KEYSTORE_INVALID on a bad file or password. */
export async function loadPublisherAccount(source: PublisherKeySource): Promise<PrivateKeyAccount> {
  if ("privateKey" in source) {
    if (!/^0x[0-9a-fA-F]{64}$/.test(source.privateKey)) {
      throw new ChainError(
        "CHAIN_PRIVATE_KEY_INVALID",
        "the publisher private key must be 0x followed by 64 hex digits",
      );
    }
    return privateKeyToAccount(source.privateKey as Hex);
  }
  const json = "keystoreJson" in source ? source.keystoreJson : fs.readFileSync(source.keystorePath, "utf8");
  try {
    const wallet = await Wallet.fromEncryptedJson(json, source.password);
    return privateKeyToAccount(wallet.privateKey as Hex);
  } catch (cause) {
    throw new ChainError(
      "CHAIN_KEYSTORE_INVALID",
      "cannot decrypt the publisher keystore (wrong password or not a keystore)",
      { cause },
    );
  }
}
