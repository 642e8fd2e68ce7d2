/**
 * A license and a usage event made through the public API on a development stack, and the check that they are
 * still there: the restart tests (in-process and the newcomer smoke test) create them before a restart and
 * check them after it. The usage event is re-sent with its idempotency key: a duplicate proves it is stored.
 */
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createApiClient } from "../../offchain/cli/api-client";
import { devAccounts } from "../../offchain/chain/devchain";
import { attestationTypedData } from "../../offchain/api/services/attestation-typed-data";

export type Records = { licenseId: Hex; apiKey: string; event: Record<string, string> };

const creator = () => privateKeyToAccount(devAccounts(5)[4].privateKey);
const buyer = () => privateKeyToAccount(devAccounts(5)[3].privateKey);
const DATASET = `0x${"5e".repeat(32)}` as Hex;

export async function createRecords(apiUrl: string, chainId: number, token: string): Promise<Records> {
  const api = createApiClient(apiUrl);
  const ada = await api.signIn(creator(), chainId);
  const lab = await api.signIn(buyer(), chainId);
  await api.call("POST", "/v1/creators", { bearer: ada }, { name: "Ada" });
  await api.call(
    "POST",
    "/v1/datasets",
    { bearer: ada },
    { id: DATASET, name: "Restart corpus", shares: [{ account: creator().address, bps: 10_000 }] },
  );
  // The dataset's consent basis: the creator's signed rights attestation (an offer needs one).
  const issuedAt = new Date(Math.floor((Date.now() - 7_200_000) / 1000) * 1000);
  const signature = await creator().signTypedData(
    attestationTypedData(chainId, { datasetId: DATASET, scope: "training", issuedAt }),
  );
  await api.call(
    "POST",
    `/v1/datasets/${DATASET}/attestations`,
    { bearer: ada },
    { scope: "training", issuedAt: issuedAt.toISOString(), signature },
  );
  const offer = await api.call<{ id: string }>(
    "POST",
    "/v1/offers",
    { bearer: ada },
    {
      token,
      scope: "training",
      exclusive: false,
      durationSeconds: 24 * 3600,
      model: "per_use",
      ratePerUnit: "1000",
      creditLimit: "10000", // no deposit here: the 7 units (7,000) are taken on credit, not refused (402)
      datasets: [{ datasetId: DATASET, weightBps: 10_000 }],
    },
  );
  await api.call("POST", "/v1/buyers", { bearer: lab }, { name: "Restart Lab" });
  const startsAt = new Date(Math.floor((Date.now() - 3_600_000) / 1000) * 1000).toISOString();
  const { licenseId } = await api.call<{ licenseId: Hex }>(
    "POST",
    "/v1/licenses",
    { bearer: lab },
    { offerId: offer.id, startsAt },
  );
  const { key } = await api.call<{ key: string }>("POST", "/v1/buyers/me/api-keys", { bearer: lab }, {});
  const event = {
    licenseId,
    datasetId: DATASET,
    itemRef: "restart-1",
    units: "7",
    occurredAt: new Date(Date.now() - 60_000).toISOString(),
    idempotencyKey: "restart-u-1",
  };
  const sent = await api.call<{ accepted: number }>("POST", "/v1/usage", { apiKey: key }, { events: [event] });
  if (sent.accepted !== 1) throw new Error(`usage event not accepted: ${JSON.stringify(sent)}`);
  return { licenseId, apiKey: key, event };
}

/** Throws unless the license and the usage event (as a duplicate) are still stored, with the same API key. */
export async function checkRecords(apiUrl: string, chainId: number, r: Records): Promise<void> {
  const api = createApiClient(apiUrl);
  const lab = await api.signIn(buyer(), chainId);
  const license = await api.call<{ licenseId?: string; id?: string }>("GET", `/v1/licenses/${r.licenseId}`, {
    bearer: lab,
  });
  if ((license.licenseId ?? license.id) !== r.licenseId) {
    throw new Error(`license ${r.licenseId} not found after the restart: ${JSON.stringify(license)}`);
  }
  const again = await api.call<{ accepted: number; duplicates: number }>(
    "POST",
    "/v1/usage",
    { apiKey: r.apiKey },
    { events: [r.event] },
  );
  if (again.accepted !== 0 || again.duplicates !== 1) {
    throw new Error(`the usage event is not stored after the restart: ${JSON.stringify(again)}`);
  }
}
