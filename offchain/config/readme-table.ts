/** The README's configuration table (between its markers), rendered from the variables' documentation. */
import { TributaryError } from "../common/errors";
import { variablesTable } from "./variables";

export const TABLE_START = "<!-- config-table:start -->";
export const TABLE_END = "<!-- config-table:end -->";

/** `readme` with the text between the markers replaced by the current table. */
export function readmeWithTable(readme: string): string {
  const a = readme.indexOf(TABLE_START);
  const b = readme.indexOf(TABLE_END);
  if (a < 0 || b < a)
    throw new TributaryError("CONFIG_README_TABLE_MISSING", `README.md has no ${TABLE_START} … ${TABLE_END} section`);
  return `${readme.slice(0, a + TABLE_START.length)}\n${variablesTable()}\n${readme.slice(b)}`;
}
