/**
 * Stand-in for `node:fs`, `node:events` and `node:stream` in the browser bundle. The Merkle module imports
 * them only for its file-path and stream helpers, which the pages never call; calling one fails loudly.
 */
function unavailable(name: string): never {
  throw new Error(`${name} is not available in the browser`);
}
export const createReadStream = () => unavailable("fs.createReadStream");
export const createWriteStream = () => unavailable("fs.createWriteStream");
export const once = () => unavailable("events.once");
export default {};
