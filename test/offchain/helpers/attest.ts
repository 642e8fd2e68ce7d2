/** Rights attestations signed like a creator's wallet would, posted through the API. */
import { expect } from "chai";
import request from "supertest";
import type { Hex } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { attestationTypedData } from "../../../offchain/api/services/attestation-typed-data";
import type { App } from "../../../offchain/api/app";
import { bearer } from "./api";

export async function signAttestation(
  who: PrivateKeyAccount,
  datasetId: string,
  scope: "training" | "inference",
  issuedAt: Date,
  chainId = 31337,
) {
  const at = new Date(Math.floor(issuedAt.getTime() / 1000) * 1000);
  const signature = await who.signTypedData(
    attestationTypedData(chainId, { datasetId: datasetId as Hex, scope, issuedAt: at }),
  );
  return { scope, issuedAt: at.toISOString(), signature };
}

export async function attest(
  app: App,
  token: string,
  who: PrivateKeyAccount,
  datasetId: string,
  scope: "training" | "inference",
  issuedAt = new Date(Date.now() - 3 * 3_600_000),
) {
  const res = await request(app)
    .post(`/v1/datasets/${datasetId}/attestations`)
    .set(bearer(token))
    .send(await signAttestation(who, datasetId, scope, issuedAt));
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  return res.body as { id: string };
}
