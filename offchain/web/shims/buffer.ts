/**
 * Injected into every browser bundle (esbuild `inject`: each export replaces the global of that name). The
 * Merkle module uses Node's `Buffer` (the `buffer` package here) and allocates some buffers as
 * SharedArrayBuffers to hand them to worker threads; a page that is not cross-origin isolated has no
 * SharedArrayBuffer, and the browser runs the serial path anyway, so a plain ArrayBuffer holds the same bytes.
 */
export { Buffer } from "buffer";

const shared = (globalThis as { SharedArrayBuffer?: SharedArrayBufferConstructor }).SharedArrayBuffer;
const SharedArrayBufferOrPlain = (shared ?? ArrayBuffer) as SharedArrayBufferConstructor;
export { SharedArrayBufferOrPlain as SharedArrayBuffer };
