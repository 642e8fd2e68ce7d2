/**
 * `npm run config:table`: rewrites the README's configuration table from offchain/config/variables.ts (between
 * the config-table markers). `--check` only reports whether it is up to date (exit 1 if not).
 */
import fs from "node:fs";
import path from "node:path";
import { readmeWithTable } from "../offchain/config/readme-table";

const file = path.join(__dirname, "..", "README.md");
const current = fs.readFileSync(file, "utf8");
const wanted = readmeWithTable(current);
if (process.argv.includes("--check")) {
  if (wanted !== current) {
    console.error("README.md's configuration table is out of date: run `npm run config:table`");
    process.exit(1);
  }
} else if (wanted !== current) {
  fs.writeFileSync(file, wanted);
  console.log("README.md: configuration table rewritten");
}
