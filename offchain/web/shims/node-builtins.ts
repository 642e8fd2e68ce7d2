/**
 * Stand-in for the Node built-ins the Merkle module imports, in the browser bundle. The pages only use its
 * in-memory paths: file and stream helpers are never called (calling one fails loudly), and the tree builder
 * is told there is one processor, so it stays on its serial path and never starts a worker thread.
 */
import { TributaryError } from "../../common/errors";

function unavailable(name: string): never {
  throw new TributaryError("WEB_NODE_API_UNAVAILABLE", `${name} is not available in the browser`);
}
export const createReadStream = () => unavailable("fs.createReadStream");
export const createWriteStream = () => unavailable("fs.createWriteStream");
export const once = () => unavailable("events.once");
export const availableParallelism = () => 1;
export const cpus = () => [{}];
export class Worker {
  constructor() {
    unavailable("worker_threads.Worker");
  }
}
export const parentPort = null;
export default {};
