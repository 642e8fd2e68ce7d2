/**
 * A marketplace driven through the HTTP API only (except deposits, which come from the chain indexer): two
 * creators, four datasets, consent, one license of each model, usage. Used by the flow and matrix tests.
 */
import { expect } from "chai";
import request from "supertest";
import type { PrivateKeyAccount } from "viem/accounts";
import { account, bearer, signIn, TOKEN, type TestApi } from "./api";
import { insertConfirmedDeposit } from "./deposits";
import { attest } from "./attest";

export const HOUR = 3_600_000;

export type Scenario = {
  creatorA: PrivateKeyAccount;
  creatorB: PrivateKeyAccount;
  buyer: PrivateKeyAccount;
  otherBuyer: PrivateKeyAccount;
  auditor: PrivateKeyAccount;
  contributor: string;
  tokens: Record<"operator" | "creatorA" | "creatorB" | "buyer" | "otherBuyer" | "auditor" | "stranger", string>;
  apiKey: string;
  otherApiKey: string;
  datasets: { d1: string; d2: string; d3: string; d4: string };
  offers: Record<"oneTime" | "subscription" | "perUse" | "revenueShare", string>;
  licenses: Record<"oneTime" | "subscription" | "perUse" | "revenueShare", string>;
  consentId: string;
  /** Creator A's rights attestation on d2 for training (the subscription's basis). */
  attestationId: string;
  licenseStart: Date;
};

const d = (n: number) => "0x" + n.toString(16).padStart(64, "0");

/** `now`: the moment the scenario is placed before (licenses start two hours earlier); default the clock's now. */
export async function buildScenario(t: TestApi, opts: { now?: number } = {}): Promise<Scenario> {
  const now = opts.now ?? Date.now();
  const app = t.app;
  const creatorA = account("creator-a");
  const creatorB = account("creator-b");
  const buyer = account("buyer");
  const otherBuyer = account("other-buyer");
  const auditor = account("auditor");
  const contributor = account("contributor").address.toLowerCase();
  const tokens = {
    operator: await signIn(app, t.operator),
    creatorA: await signIn(app, creatorA),
    creatorB: await signIn(app, creatorB),
    buyer: await signIn(app, buyer),
    otherBuyer: await signIn(app, otherBuyer),
    auditor: await signIn(app, auditor),
    stranger: await signIn(app, account("stranger")),
  };
  const post = (tok: string, path: string, body: object, status = 201) =>
    request(app)
      .post(path)
      .set(bearer(tok))
      .send(body)
      .then((r) => {
        expect(r.status, `${path}: ${JSON.stringify(r.body)}`).to.equal(status);
        return r.body;
      });

  await post(tokens.creatorA, "/v1/creators", { name: "Creator A" });
  await post(tokens.creatorB, "/v1/creators", { name: "Creator B" });
  await post(tokens.buyer, "/v1/buyers", { name: "Buyer Labs" });
  await post(tokens.otherBuyer, "/v1/buyers", { name: "Other Buyer" });
  await post(tokens.operator, "/v1/operator/roles", { address: auditor.address, role: "auditor" });

  const a = creatorA.address.toLowerCase();
  const datasets = { d1: d(1), d2: d(2), d3: d(3), d4: d(4) };
  await post(tokens.creatorA, "/v1/datasets", {
    id: datasets.d1,
    name: "Speech corpus",
    shares: [
      { account: a, bps: 6000 },
      { account: contributor, bps: 4000 },
    ],
  });
  await post(tokens.creatorA, "/v1/datasets", {
    id: datasets.d2,
    name: "Code corpus",
    shares: [{ account: a, bps: 10_000 }],
  });
  await post(tokens.creatorA, "/v1/datasets", {
    id: datasets.d3,
    name: "Images",
    metadata: { license: "cc-by" },
    shares: [
      { account: a, bps: 3333 },
      { account: contributor, bps: 6667 },
    ],
  });
  await post(tokens.creatorB, "/v1/datasets", {
    id: datasets.d4,
    name: "News",
    shares: [{ account: creatorB.address, bps: 10_000 }],
  });

  const consent = await post(tokens.creatorA, `/v1/datasets/${datasets.d1}/consents`, {
    subject: "alice@example.org",
    scope: "training",
    itemRef: "clip-7",
    evidenceHash: "0x" + "e1".repeat(32),
    grantedAt: new Date(now - 3 * HOUR).toISOString(),
  });

  // Consent bases: d1 for training rests on the receipt above (item clip-7 only); the rest on signed attestations.
  await attest(app, tokens.creatorA, creatorA, datasets.d1, "inference");
  const d2Training = (await attest(app, tokens.creatorA, creatorA, datasets.d2, "training")).id;
  await attest(app, tokens.creatorA, creatorA, datasets.d3, "inference");
  await attest(app, tokens.creatorB, creatorB, datasets.d4, "training");

  const common = { token: TOKEN, scope: "training", durationSeconds: 4 * 3600 };
  const offers = {
    oneTime: (
      await post(tokens.creatorA, "/v1/offers", {
        model: "one_time",
        price: "1000000",
        datasets: [{ datasetId: datasets.d1, weightBps: 10_000 }],
        ...common,
      })
    ).id,
    subscription: (
      await post(tokens.creatorA, "/v1/offers", {
        model: "subscription",
        price: "360000",
        periodSeconds: 3600,
        datasets: [{ datasetId: datasets.d2, weightBps: 10_000 }],
        ...common,
      })
    ).id,
    perUse: (
      await post(tokens.creatorA, "/v1/offers", {
        model: "per_use",
        ratePerUnit: "7",
        // Credit beyond the 5,000 escrow below: usage that runs past it is carried as owed, not refused (402).
        creditLimit: "10000",
        exclusive: true,
        datasets: [
          { datasetId: datasets.d1, weightBps: 7000 },
          { datasetId: datasets.d3, weightBps: 3000 },
        ],
        ...common,
        scope: "inference",
      })
    ).id,
    revenueShare: (
      await post(tokens.creatorB, "/v1/offers", {
        model: "revenue_share",
        revenueBps: 1500,
        datasets: [{ datasetId: datasets.d4, weightBps: 10_000 }],
        ...common,
      })
    ).id,
  };
  const licenseStart = new Date(Math.floor((now - 2 * HOUR) / 1000) * 1000);
  const take = async (offerId: string) =>
    (await post(tokens.buyer, "/v1/licenses", { offerId, startsAt: licenseStart.toISOString() })).licenseId as string;
  const licenses = {
    oneTime: await take(offers.oneTime),
    subscription: await take(offers.subscription),
    perUse: await take(offers.perUse),
    revenueShare: await take(offers.revenueShare),
  };
  const apiKey = (await post(tokens.buyer, "/v1/buyers/me/api-keys", {})).key as string;
  const otherApiKey = (await post(tokens.otherBuyer, "/v1/buyers/me/api-keys", {})).key as string;

  // Deposits arrive from the chain indexer, not from an HTTP route.
  const deposit = (licenseId: string, amount: bigint) =>
    insertConfirmedDeposit(t.db, { licenseId, token: TOKEN, amount, payer: buyer.address.toLowerCase() });
  await deposit(licenses.oneTime, 1_000_000n);
  await deposit(licenses.subscription, 720_000n); // two periods
  await deposit(licenses.perUse, 5_000n); // escrow smaller than the usage below: a shortfall is carried
  await deposit(licenses.revenueShare, 1_000_000n);

  return {
    creatorA,
    creatorB,
    buyer,
    otherBuyer,
    auditor,
    contributor,
    tokens,
    apiKey,
    otherApiKey,
    datasets,
    offers,
    licenses,
    consentId: consent.id,
    attestationId: d2Training,
    licenseStart,
  };
}
