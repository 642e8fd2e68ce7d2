/**
 * Requests Node's HTTP parser refuses before any route sees them — headers (request line included) over Node's
 * limit, a malformed request line, a request that took too long to arrive — are answered here. Without a
 * 'clientError' listener Node writes a bare `431`/`400` with no body, which breaks the API's promise that every
 * error is an RFC 9457 problem document; with one, the answer is ours to write, on the raw socket (there is no
 * request object yet: the request never parsed).
 */
import { randomUUID } from "node:crypto";
import type http from "node:http";
import type { Duplex } from "node:stream";

/** Node's default `--max-http-header-size`: the request line and every header together. */
const MAX_HEADER_BYTES = 16 * 1024;

type ParserError = Error & { code?: string };

/** status, reason phrase, problem type and detail for a parser error code (Node's own mapping, with bodies). */
function problemOf(code: string | undefined): { status: number; reason: string; type: string; detail: string } {
  if (code === "HPE_HEADER_OVERFLOW")
    return {
      status: 431,
      reason: "Request Header Fields Too Large",
      type: "/problems/headers-too-large",
      detail: `the request line and headers exceed ${MAX_HEADER_BYTES} bytes`,
    };
  if (code === "ERR_HTTP_REQUEST_TIMEOUT")
    return {
      status: 408,
      reason: "Request Timeout",
      type: "/problems/request-timeout",
      detail: "the request did not arrive in time",
    };
  return {
    status: 400,
    reason: "Bad Request",
    type: "/problems/bad-request",
    detail: "the request is not valid HTTP/1.1",
  };
}

/** Installs the problem+json answer to parser-level client errors on `server`. */
export function answerClientErrors(server: http.Server): void {
  server.on("clientError", (err: ParserError, socket: Duplex) => {
    // A peer that reset the connection (or a socket already written to) cannot be answered.
    if (err.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const p = problemOf(err.code);
    const body = JSON.stringify({
      type: p.type,
      title: p.reason,
      status: p.status,
      detail: p.detail,
      requestId: randomUUID(),
    });
    socket.end(
      `HTTP/1.1 ${p.status} ${p.reason}\r\n` +
        "Content-Type: application/problem+json; charset=utf-8\r\n" +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        "Connection: close\r\n\r\n" +
        body,
    );
  });
}
