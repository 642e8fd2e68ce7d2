/**
 * The SSRF guard for webhook URLs. Properties: only https:// (http(s) to loopback only when allowed); every private,
 * loopback, link-local, multicast, metadata and reserved address is refused, IPv4 and IPv6, whatever literal form
 * it is written in (decimal, hex, octal, short, IPv4-mapped IPv6); a name is refused when any address it resolves
 * to is private; a public address passes and is the one returned for pinning.
 */
import { expect } from "chai";
import {
  type ResolveHost,
  WebhookUrlRefusedError,
  checkUrlForm,
  isPrivateAddress,
  resolvePublicAddress,
} from "../../../offchain/webhooks/address-guard";

const prod = { allowLoopback: false };
const dev = { allowLoopback: true };

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(WebhookUrlRefusedError);
    return (err as WebhookUrlRefusedError).reason;
  }
  throw new Error("expected a refusal");
}

async function asyncRefusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(WebhookUrlRefusedError);
    return (err as WebhookUrlRefusedError).reason;
  }
  throw new Error("expected a refusal");
}

const stub =
  (table: Record<string, string[]>): ResolveHost =>
  async (host) =>
    (table[host] ?? []).map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));

describe("webhook SSRF guard", () => {
  it("classifies addresses: private, loopback, link-local, multicast, metadata and reserved are refused", () => {
    const refused = [
      "0.0.0.0",
      "10.1.2.3",
      "100.64.0.1",
      "127.0.0.1",
      "127.255.255.254",
      "169.254.169.254",
      "172.16.0.1",
      "172.31.255.255",
      "192.0.0.192",
      "192.168.1.1",
      "198.18.0.1",
      "224.0.0.1",
      "239.255.255.250",
      "255.255.255.255",
      "::",
      "::1",
      "::ffff:127.0.0.1",
      "::ffff:a9fe:a9fe",
      "::ffff:10.0.0.1",
      "::127.0.0.1",
      "64:ff9b::a00:1",
      "2002:7f00:1::",
      "fc00::1",
      "fd00:ec2::254",
      "fe80::1",
      "ff02::1",
      "2001:db8::1",
    ];
    const allowed = ["8.8.8.8", "93.184.216.34", "172.32.0.1", "::ffff:8.8.8.8", "2606:4700:4700::1111"];
    expect(refused.filter((a) => !isPrivateAddress(a))).to.deep.equal([]);
    expect(allowed.filter((a) => isPrivateAddress(a))).to.deep.equal([]);
  });

  it("refuses literal private hosts in every form the URL parser accepts", () => {
    const urls = [
      "https://127.0.0.1/h",
      "https://2130706433/h", // decimal 127.0.0.1
      "https://0x7f000001/h", // hex
      "https://0x7f.1/h",
      "https://0177.0.0.1/h", // octal
      "https://127.1/h",
      "https://[::1]/h",
      "https://[::ffff:127.0.0.1]/h",
      "https://[::ffff:7f00:1]/h",
      "https://169.254.169.254/latest/meta-data/",
      "https://0xa9fea9fe/", // 169.254.169.254
      "https://[::ffff:169.254.169.254]/",
      "https://[fd00:ec2::254]/",
      "https://10.0.0.1/h",
      "https://[fe80::1]/h",
      "https://224.0.0.1/h",
      "https://localhost/h",
      "https://a.localhost/h",
    ];
    const reasons = urls.map((u) => refusal(() => checkUrlForm(u, prod)));
    expect(reasons).to.have.length(urls.length);
    expect(refusal(() => checkUrlForm("https://2130706433/h", prod))).to.equal(
      "127.0.0.1 is a private, loopback, link-local, multicast or reserved address",
    );
    expect(refusal(() => checkUrlForm("https://[::ffff:169.254.169.254]/", prod))).to.equal(
      "::ffff:a9fe:a9fe is a private, loopback, link-local, multicast or reserved address",
    );
  });

  it("accepts only https; http and https to loopback only when allowed, never another private address", () => {
    expect(refusal(() => checkUrlForm("http://example.org/h", prod))).to.equal("expected an https:// URL");
    expect(refusal(() => checkUrlForm("http://127.0.0.1:8080/h", prod))).to.equal("expected an https:// URL");
    expect(refusal(() => checkUrlForm("ftp://example.org/h", prod))).to.equal("expected an https:// URL");
    expect(refusal(() => checkUrlForm("https://u:p@example.org/h", prod))).to.equal("credentials in the URL");
    expect(refusal(() => checkUrlForm("not a url", prod))).to.equal("not a URL");
    expect(checkUrlForm("https://hooks.example.org/h", prod).toString()).to.equal("https://hooks.example.org/h");
    expect(checkUrlForm("http://127.0.0.1:8080/h", dev).toString()).to.equal("http://127.0.0.1:8080/h");
    expect(checkUrlForm("http://localhost:8080/h", dev).toString()).to.equal("http://localhost:8080/h");
    expect(checkUrlForm("http://[::1]:8080/h", dev).toString()).to.equal("http://[::1]:8080/h");
    expect(refusal(() => checkUrlForm("http://10.0.0.1/h", dev))).to.equal("expected an https:// URL");
    expect(refusal(() => checkUrlForm("https://192.168.0.10/h", dev))).to.equal(
      "192.168.0.10 is a private, loopback, link-local, multicast or reserved address",
    );
  });

  it("a name is refused when any address it resolves to is private; a public one is returned for pinning", async () => {
    const resolve = stub({
      "public.test": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
      "rebind.test": ["93.184.216.34", "10.0.0.7"],
      "meta.test": ["169.254.169.254"],
      "mapped.test": ["::ffff:192.168.1.1"],
      "loop.test": ["127.0.0.1"],
    });
    const opts = { ...prod, resolve };
    expect(await resolvePublicAddress(new URL("https://public.test/h"), opts)).to.deep.equal({
      address: "93.184.216.34",
      family: 4,
    });
    expect(await asyncRefusal(resolvePublicAddress(new URL("https://rebind.test/h"), opts))).to.equal(
      "rebind.test resolves to 10.0.0.7, not a public address",
    );
    expect(await asyncRefusal(resolvePublicAddress(new URL("https://meta.test/"), opts))).to.equal(
      "meta.test resolves to 169.254.169.254, not a public address",
    );
    expect(await asyncRefusal(resolvePublicAddress(new URL("https://mapped.test/"), opts))).to.equal(
      "mapped.test resolves to ::ffff:192.168.1.1, not a public address",
    );
    expect(await asyncRefusal(resolvePublicAddress(new URL("https://loop.test/"), opts))).to.equal(
      "loop.test resolves to 127.0.0.1, not a public address",
    );
    expect(await resolvePublicAddress(new URL("http://loop.test/"), { ...dev, resolve })).to.deep.equal({
      address: "127.0.0.1",
      family: 4,
    });
    const none = await resolvePublicAddress(new URL("https://nowhere.test/"), opts).catch((e: { code: string }) => e);
    expect((none as { code: string }).code).to.equal("WEBHOOK_DNS_FAILED");
  });
});
