import type { Server } from "@grpc/grpc-js";
import { FulcrumError, InvalidArgumentError } from "@fulcrum/core";
import type { Http2Server, Http2Session } from "node:http2";

/**
 * HTTP/2 flow-control window Fulcrum's gRPC servers and clients open, per stream and per
 * connection, bytes (8 MiB).
 *
 * Why: HTTP/2 starts every connection with a 65,535-byte receive window, and neither Node's http2
 * nor grpc-js's server raises it. A peer may then have only 64 KiB of request bytes on the wire
 * until the receiver's event loop reads them and sends WINDOW_UPDATE, so ingest is 64 KiB per
 * event-loop turn: the busier the server, the longer its turns and the fewer requests it can even
 * read. With 49 KiB image tensors a server refusing every call at once answered 500 rps with a p50
 * of 775 ms (flow-control waits in the client); with an 8 MiB window, 1.9 ms. Memory stays
 * bounded: the window is what one connection may have unread, and the message-size limits still
 * hold per call. gRPC's own C core and Go servers grow their windows (BDP probing) to the same order.
 */
export const FLOW_CONTROL_WINDOW_BYTES = 8 * 1024 * 1024;

/** HTTP/2's largest window (2³¹ − 1). */
const MAX_WINDOW_BYTES = 2 ** 31 - 1;

/** Checks a window size, bytes (between 64 KiB, HTTP/2's default, and 2³¹ − 1). */
export function checkWindowBytes(bytes: number): number {
  if (!Number.isInteger(bytes) || bytes < 65_535 || bytes > MAX_WINDOW_BYTES) {
    throw new InvalidArgumentError("flowControlWindowBytes", `must be an integer from 65535 to ${MAX_WINDOW_BYTES} bytes, got ${bytes}`);
  }
  return bytes;
}

/**
 * Opens the receive window of every HTTP/2 session `server` accepts from now on to `bytes`, per
 * stream (SETTINGS_INITIAL_WINDOW_SIZE) and per connection (WINDOW_UPDATE on stream 0). Call it
 * after `bindAsync` resolved. grpc-js has no server option for this (its channels have
 * `grpc-node.flow_control_window`), so it reaches the Node http2 servers grpc-js keeps; should a
 * grpc-js release rename that field this throws at start-up rather than silently serving with
 * 64 KiB windows.
 */
export function openServerFlowControlWindow(server: Server, bytes: number): void {
  const servers = (server as unknown as { http2Servers?: Map<Http2Server, unknown> }).http2Servers;
  if (!(servers instanceof Map) || servers.size === 0) {
    throw new FulcrumError("GRPC_FLOW_CONTROL_UNAVAILABLE", "internal", "grpc-js Server has no bound http2 servers to open flow-control windows on (call after bindAsync; has grpc-js changed its internals?)");
  }
  for (const h2 of servers.keys()) h2.on("session", (session: Http2Session) => openSessionWindow(session, bytes));
}

function openSessionWindow(session: Http2Session, bytes: number): void {
  // Once the peer acknowledged the session's first SETTINGS (attached at the session's creation,
  // before any I/O, so the event cannot have passed).
  session.once("localSettings", () => {
    if (session.destroyed || session.closed) return;
    session.settings({ initialWindowSize: bytes });
    session.setLocalWindowSize(bytes);
  });
}
