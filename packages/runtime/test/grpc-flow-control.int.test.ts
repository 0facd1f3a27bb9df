import { connect, type ClientHttp2Session } from "node:http2";
import { afterEach, describe, expect, it } from "vitest";
import { InvalidArgumentError } from "@fulcrum/core";
import { FLOW_CONTROL_WINDOW_BYTES, startGrpcServer, type GrpcServerHandle } from "../src/index.js";
import { checkWindowBytes } from "../src/grpc/flow-control.js";

/** What a plain HTTP/2 client learns of the server's receive windows: its SETTINGS and its connection window. */
async function serverWindows(address: string, expectBytes: number): Promise<{ streamWindow: number; connectionWindow: number }> {
  const session: ClientHttp2Session = connect(`http://${address}`);
  try {
    // The server's first SETTINGS carry the protocol default; the second one (after its first was acknowledged) the opened window.
    const streamWindow = await new Promise<number>((resolve, reject) => {
      session.on("error", reject);
      session.on("remoteSettings", (s) => {
        if (s.initialWindowSize !== 65_535) resolve(s.initialWindowSize ?? 0);
      });
      setTimeout(() => resolve(session.remoteSettings.initialWindowSize ?? 0), 2000);
    });
    // The connection window grows with the server's WINDOW_UPDATE on stream 0.
    const until = Date.now() + 2000;
    while ((session.state.remoteWindowSize ?? 0) < expectBytes && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    return { streamWindow, connectionWindow: session.state.remoteWindowSize ?? 0 };
  } finally {
    session.destroy();
  }
}

describe("gRPC server flow-control window", () => {
  let handle: GrpcServerHandle | undefined;
  afterEach(async () => {
    await handle?.shutdown(100);
    handle = undefined;
  });

  it("opens each connection's receive window to 8 MiB, per stream and per connection (HTTP/2 starts at 64 KiB)", async () => {
    handle = await startGrpcServer({ port: 0, services: [] });
    const w = await serverWindows(handle.address, FLOW_CONTROL_WINDOW_BYTES);
    expect(w.streamWindow).toBe(FLOW_CONTROL_WINDOW_BYTES);
    expect(w.connectionWindow).toBeGreaterThanOrEqual(FLOW_CONTROL_WINDOW_BYTES);
  });

  it("takes the configured size", async () => {
    handle = await startGrpcServer({ port: 0, services: [], flowControlWindowBytes: 1 << 20 });
    const w = await serverWindows(handle.address, 1 << 20);
    expect(w.streamWindow).toBe(1 << 20);
    expect(w.connectionWindow).toBeGreaterThanOrEqual(1 << 20);
    expect(w.connectionWindow).toBeLessThan(FLOW_CONTROL_WINDOW_BYTES);
  });

  it("refuses a window outside HTTP/2's range, naming it", () => {
    expect(() => checkWindowBytes(1000)).toThrow(InvalidArgumentError);
    expect(() => checkWindowBytes(1000)).toThrow(/flowControlWindowBytes.*must be an integer from 65535 to 2147483647 bytes, got 1000/);
    expect(() => checkWindowBytes(2 ** 31)).toThrow(/got 2147483648/);
    expect(checkWindowBytes(65_535)).toBe(65_535);
  });
});
