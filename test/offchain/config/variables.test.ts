import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { readmeWithTable } from "../../../offchain/config/readme-table";
import { DOCS, envShape } from "../../../offchain/config/variables";

const ROOT = path.join(__dirname, "..", "..", "..");

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "generated" || e.name === "node_modules" ? [] : sources(p);
    return /\.(ts|js)$/.test(e.name) ? [p] : [];
  });
}

describe("offchain/config/variables", () => {
  it("the README's configuration table is the one rendered from the variables (npm run config:table)", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    expect(readmeWithTable(readme)).to.equal(readme);
  });

  it("documents exactly the variables the schema parses", () => {
    expect(Object.keys(DOCS).sort()).to.deep.equal(Object.keys(envShape).sort());
  });

  it("no module outside offchain/config reads process.env (harness knobs and tool files excepted, listed)", () => {
    const allowed = [
      /^offchain\/config\//,
      /^scripts\/bench\//, // benchmark knobs, documented in each bench
      /^scripts\/ci\/newcomer-smoke\.ts$/, // smoke-test knobs, documented in its header
      /^offchain\/db\/prisma\.config\.ts$/, // sets the Prisma CLI's engine path for the tool, reads no setting
    ];
    const readers = [...sources(path.join(ROOT, "offchain")), ...sources(path.join(ROOT, "scripts"))]
      .map((f) => path.relative(ROOT, f).split(path.sep).join("/"))
      .filter((f) => !allowed.some((a) => a.test(f)))
      .filter((f) => fs.readFileSync(path.join(ROOT, f), "utf8").includes("process.env"));
    expect(readers).to.deep.equal([]);
  });
});
