/** Injected into the browser bundle: the Merkle reader and leaf hasher use Node's `Buffer`. */
export { Buffer } from "buffer";
