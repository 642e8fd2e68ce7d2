import { expect } from "chai";
import { listenGated, RETRY_AFTER_SECONDS } from "../../../offchain/main/startup-gate";
import { rawExchange } from "../helpers/raw-http";

describe("offchain/main/startup-gate", () => {
  it("before the app is attached: /health 200, everything else 503 problem+json with Retry-After; then the app", async () => {
    const gate = await listenGated(0, "127.0.0.1");
    try {
      const url = `http://${gate.listening}`;
      const health = await fetch(`${url}/health?probe=1`);
      expect([health.status, await health.json()]).to.deep.equal([200, { status: "ok" }]);
      for (const [method, path] of [
        ["GET", "/ready"],
        ["GET", "/"],
        ["POST", "/v1/usage"],
      ] as const) {
        const res = await fetch(url + path, { method, body: method === "POST" ? "{}" : undefined });
        expect(res.status, path).to.equal(503);
        expect(res.headers.get("content-type")).to.match(/^application\/problem\+json/);
        expect(res.headers.get("retry-after")).to.equal(String(RETRY_AFTER_SECONDS));
        expect(await res.json()).to.deep.include({ status: 503, type: "/problems/starting", instance: path });
      }
      gate.open((_req, res) => res.writeHead(204).end());
      expect((await fetch(`${url}/ready`)).status).to.equal(204);
    } finally {
      await gate.close();
    }
  });

  it("answers an oversize request during start-up with the same 431 problem document as the app", async () => {
    const gate = await listenGated(0, "127.0.0.1");
    try {
      const r = await rawExchange(
        `http://${gate.listening}`,
        `GET /ready?q=${"a".repeat(100 * 1024)} HTTP/1.1\r\n\r\n`,
      );
      expect([r.status, r.headers["content-type"]]).to.deep.equal([431, "application/problem+json; charset=utf-8"]);
      expect({ ...JSON.parse(r.body), requestId: "" }).to.deep.equal({
        type: "/problems/headers-too-large",
        title: "Request Header Fields Too Large",
        status: 431,
        detail: "the request line and headers exceed 16384 bytes",
        requestId: "",
      });
    } finally {
      await gate.close();
    }
  });
});
