/**
 * Webhook registration applies the SSRF guard. Properties: a URL whose literal host is private (in any form) is
 * refused with 422 naming /url, and nothing is stored; a name resolving to a private address is refused; a name
 * resolving to public addresses, or not resolving yet, is registered.
 */
import { expect } from "chai";
import request from "supertest";
import { account, bearer, signIn, startTestApi, type TestApi } from "../../helpers/api";
import { TEST_DATABASE } from "../../helpers/database";
import { registerWebhook } from "../../../../offchain/api/services/webhooks";
import { ApiError } from "../../../../offchain/api/errors";

describe(`webhook registration: the SSRF guard (${TEST_DATABASE})`, function () {
  let t: TestApi;
  let token: string;
  const buyer = account("hook-buyer");
  before(async () => {
    t = await startTestApi();
    token = await signIn(t.app, buyer);
    await request(t.app).post("/v1/buyers").set(bearer(token)).send({ name: "Hooks" }).expect(201);
  });
  after(async () => t?.close());

  it("refuses private literal hosts in decimal, hex, IPv6 and IPv4-mapped forms with 422 on /url", async () => {
    const urls = [
      "https://2130706433/h",
      "https://0x7f.1/h",
      "https://[::1]/h",
      "https://[::ffff:169.254.169.254]/latest",
      "https://169.254.169.254/latest",
      "https://10.0.0.1/h",
      "https://[fd00:ec2::254]/h",
      "http://127.0.0.1:9/h", // loopback http is only for WEBHOOK_ALLOW_HTTP_LOOPBACK=true
    ];
    for (const url of urls) {
      const res = await request(t.app)
        .post("/v1/webhooks")
        .set(bearer(token))
        .send({ url, role: "buyer", events: ["deposit.confirmed"] });
      expect([url, res.status, res.type]).to.deep.equal([url, 422, "application/problem+json"]);
      expect(res.body.errors).to.have.length(1);
      expect(res.body.errors[0].path).to.equal("/url");
    }
    expect(await t.db.prisma.webhookEndpoint.count()).to.equal(0);
  });

  it("refuses a name resolving to a private address; accepts public and not-yet-resolvable names", async () => {
    const deps = { prisma: t.db.prisma, common: t.common };
    const owner = buyer.address.toLowerCase();
    const resolve = async (host: string) =>
      host === "inside.test"
        ? [
            { address: "93.184.216.34", family: 4 as const },
            { address: "::ffff:10.1.1.1", family: 6 as const },
          ]
        : host === "outside.test"
          ? [{ address: "93.184.216.34", family: 4 as const }]
          : Promise.reject(Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" }));
    const input = (url: string) => ({ url, role: "buyer" as const, events: ["refund.available" as const] });
    const err = await registerWebhook(deps, owner, ["buyer"], input("https://inside.test/h"), resolve).catch(
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ApiError);
    expect((err as ApiError).status).to.equal(422);
    expect((err as ApiError).errors).to.deep.equal([
      { path: "/url", message: "inside.test resolves to ::ffff:10.1.1.1, not a public address" },
    ]);
    const ok = await registerWebhook(deps, owner, ["buyer"], input("https://outside.test/h"), resolve);
    const later = await registerWebhook(deps, owner, ["buyer"], input("https://later.test/h"), resolve);
    expect([ok.url, later.url]).to.deep.equal(["https://outside.test/h", "https://later.test/h"]);
    expect(await t.db.prisma.webhookEndpoint.count()).to.equal(2);
  });
});
