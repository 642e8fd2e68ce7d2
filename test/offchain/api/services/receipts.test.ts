/**
 * Signed consent receipts. Property: a grant receipt and a revocation receipt verify offline against the
 * published signer address alone, and changing any one byte of what was signed (or of the signature) fails.
 */
import { expect } from "chai";
import request from "supertest";
import { bearer, startTestApi, type TestApi } from "../../helpers/api";
import { TEST_DATABASE } from "../../helpers/database";
import { buildScenario, type Scenario } from "../../helpers/scenario";
import { verifyReceipt, type SignedReceipt } from "../../../../offchain/api/services/receipts";

/** Flips one hex digit at `i` of a 0x-hex string, or one character of any other string. */
const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === "0" ? "1" : "0") + s.slice(i + 1);

describe(`signed consent receipts (${TEST_DATABASE})`, function () {
  let t: TestApi;
  let s: Scenario;
  let signer: `0x${string}`;
  before(async () => {
    t = await startTestApi({ RECEIPT_SIGNER_KEY: "0x" + "5e".repeat(32) });
    s = await buildScenario(t);
    signer = (await request(t.app).get("/v1/receipts/signer").expect(200)).body.address;
  });
  after(async () => t?.close());

  it("the grant receipt verifies offline with the published key and names no subject", async () => {
    const res = await request(t.app)
      .get(`/v1/consents/${s.consentId}/receipts`)
      .set(bearer(s.tokens.creatorA))
      .expect(200);
    const grant = res.body.grant as SignedReceipt;
    expect(res.body.revocation).to.equal(null);
    expect(grant.message).to.include({
      kind: "grant",
      dataset: s.datasets.d1,
      itemRef: "clip-7",
      scope: "training",
      revokedAt: "0",
    });
    expect(await verifyReceipt(grant, signer)).to.equal(true);
    // The subject appears only as its salted commitment, which the stored record (hash + salt) reproduces.
    expect(JSON.stringify(grant)).to.not.include("alice@example.org");
    const row = await t.db.prisma.consentRecord.findUniqueOrThrow({ where: { id: s.consentId } });
    expect(grant.message.subjectCommitment).to.equal(`0x${row.subjectHash}`);
  });

  it("one changed byte anywhere in the signed fields, the signature or the signer fails verification", async () => {
    const res = await request(t.app)
      .get(`/v1/consents/${s.consentId}/receipts`)
      .set(bearer(s.tokens.creatorA))
      .expect(200);
    const grant = res.body.grant as SignedReceipt;
    const variants: [string, SignedReceipt][] = [
      ["itemRef", { ...grant, message: { ...grant.message, itemRef: "clip-8" } }],
      ["scope", { ...grant, message: { ...grant.message, scope: "inference" } }],
      [
        "grantedAt",
        { ...grant, message: { ...grant.message, grantedAt: String(Number(grant.message.grantedAt) + 1) } },
      ],
      [
        "subjectCommitment",
        {
          ...grant,
          message: { ...grant.message, subjectCommitment: flip(grant.message.subjectCommitment, 10) as `0x${string}` },
        },
      ],
      [
        "dataset",
        { ...grant, message: { ...grant.message, dataset: flip(grant.message.dataset, 65) as `0x${string}` } },
      ],
      ["kind", { ...grant, message: { ...grant.message, kind: "revocation" } }],
      ["chainId", { ...grant, domain: { ...grant.domain, chainId: 1 } }],
      ["signature", { ...grant, signature: flip(grant.signature, 20) as `0x${string}` }],
    ];
    for (const [what, v] of variants) expect(await verifyReceipt(v, signer), what).to.equal(false);
    expect(await verifyReceipt(grant, flip(signer, 5) as `0x${string}`), "another signer").to.equal(false);
  });

  it("a revocation gets its own receipt, returned by the revoke call and listed beside the grant", async () => {
    const rev = await request(t.app)
      .post(`/v1/consents/${s.consentId}/revoke`)
      .set(bearer(s.tokens.creatorA))
      .send({})
      .expect(200);
    const fromRevoke = rev.body.signedReceipt as SignedReceipt;
    expect(fromRevoke.message.kind).to.equal("revocation");
    expect(fromRevoke.message.receiptId).to.equal(`${s.consentId}/revocation`);
    expect(Number(fromRevoke.message.revokedAt)).to.equal(Math.floor(Date.parse(rev.body.revokedAt) / 1000));
    expect(await verifyReceipt(fromRevoke, signer)).to.equal(true);
    const both = await request(t.app)
      .get(`/v1/consents/${s.consentId}/receipts`)
      .set(bearer(s.tokens.creatorA))
      .expect(200);
    expect(await verifyReceipt(both.body.grant, signer)).to.equal(true);
    expect(both.body.revocation.message).to.deep.equal(fromRevoke.message);
    expect(await verifyReceipt({ ...fromRevoke, message: { ...fromRevoke.message, revokedAt: "0" } }, signer)).to.equal(
      false,
    );
  });

  it("recording consent returns the signed grant receipt at once", async () => {
    const res = await request(t.app)
      .post(`/v1/datasets/${s.datasets.d2}/consents`)
      .set(bearer(s.tokens.creatorA))
      .send({ subject: "dave", scope: "training", evidenceHash: "0x" + "e4".repeat(32) })
      .expect(201);
    expect(res.body.signedReceipt.message).to.include({ receiptId: res.body.id, itemRef: "", kind: "grant" });
    expect(await verifyReceipt(res.body.signedReceipt, signer)).to.equal(true);
  });
});
