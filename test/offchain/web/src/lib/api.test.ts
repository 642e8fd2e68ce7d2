import { expect } from "chai";
import { allPages } from "../../../../../offchain/web/src/lib/api";

/** A fake `GET` over `items` answering like `GET /v1/datasets` (`after` cursor, `limit`); records every path. */
function pagedServer(items: { id: string }[]) {
  const paths: string[] = [];
  const get = async (path: string) => {
    paths.push(path);
    const q = new URL(path, "http://page.test").searchParams;
    const after = q.get("after");
    const from = after === null ? 0 : items.findIndex((i) => i.id === after) + 1;
    return items.slice(from, from + Number(q.get("limit")));
  };
  return { get, paths };
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `0x${(i + 1).toString(16).padStart(64, "0")}` }));

describe("offchain/web/src/lib/api allPages", () => {
  it("follows the cursor until a short page: 7 items in pages of 3 take three requests", async () => {
    const items = ids(7);
    const s = pagedServer(items);
    expect(await allPages(s.get, "/v1/datasets", 3)).to.deep.equal(items);
    expect(s.paths).to.deep.equal([
      "/v1/datasets?limit=3",
      `/v1/datasets?limit=3&after=${items[2].id}`,
      `/v1/datasets?limit=3&after=${items[5].id}`,
    ]);
  });

  it("reads one more, empty page when the list is an exact multiple of the page", async () => {
    const items = ids(6);
    const s = pagedServer(items);
    expect(await allPages(s.get, "/v1/datasets", 3)).to.deep.equal(items);
    expect(s.paths).to.deep.equal([
      "/v1/datasets?limit=3",
      `/v1/datasets?limit=3&after=${items[2].id}`,
      `/v1/datasets?limit=3&after=${items[5].id}`,
    ]);
  });

  it("stops after one request for a short first page (and for none), and keeps a query the path already has", async () => {
    const one = pagedServer(ids(2));
    expect(await allPages(one.get, "/v1/datasets", 100)).to.deep.equal(ids(2));
    expect(one.paths).to.deep.equal(["/v1/datasets?limit=100"]);
    const none = pagedServer([]);
    expect(await allPages(none.get, "/v1/things?status=active", 100)).to.deep.equal([]);
    expect(none.paths).to.deep.equal(["/v1/things?status=active&limit=100"]);
  });

  it("passes a failed page's error on (the page shows it), without reading further", async () => {
    const paths: string[] = [];
    const failing = async (path: string) => {
      paths.push(path);
      if (paths.length === 2) throw new RangeError("HTTP 500");
      return ids(2);
    };
    let caught: unknown;
    try {
      await allPages(failing, "/v1/datasets", 2);
    } catch (err) {
      caught = err;
    }
    expect([caught instanceof RangeError, (caught as Error).message, paths.length]).to.deep.equal([
      true,
      "HTTP 500",
      2,
    ]);
  });
});
