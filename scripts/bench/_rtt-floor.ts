/**
 * Child process of the stage benchmark: the latency floor under the transport, layer by layer.
 * One request/response exchange of the benchmark's own sizes, at the light-load rate, over
 *   - raw TCP (Node `net`, Nagle off): what any network hop costs on this machine at that rate,
 *     including waking an idle CPU;
 *   - raw HTTP/2 (Node `http2`, one stream per exchange, gRPC's framing and trailers): what gRPC's
 *     transport costs before any gRPC library code runs.
 * The grpc-js echo server (`_oip-echo.ts`) is the next layer up; the stage is the one after that.
 *
 * - `_rtt-floor.ts server <responseBytes>`: listens on two loopback ports, prints
 *   `{"tcpPort":N,"http2Port":M}`, answers every request with `responseBytes` bytes until SIGTERM.
 *   Run it pinned where the stage runs.
 * - `_rtt-floor.ts client '<RttOptions JSON>'`: exchanges on a fixed schedule, prints one
 *   {@link RttResult} JSON line. Run it pinned where the load client runs.
 */
import { connect, createServer, type Socket } from "node:net";
import { connect as h2connect, createServer as h2createServer, type ClientHttp2Session } from "node:http2";
import { quantile } from "@fulcrum/core/stats";

/** What the client sends and how often. */
export interface RttOptions {
  readonly tcpPort: number;
  readonly http2Port: number;
  /** Exchanges per second on a fixed schedule (one at a time: the rate is far below saturation). */
  readonly rateRps: number;
  /** Exchanges timed per transport (after 20 untimed ones). */
  readonly count: number;
  /** Request body, bytes (the benchmark's encoded ModelInferRequest). */
  readonly requestBytes: number;
}

/** Round-trip quantiles per transport, ms. */
export interface RttResult {
  readonly tcpP50Ms: number;
  readonly tcpP99Ms: number;
  readonly http2P50Ms: number;
  readonly http2P99Ms: number;
  readonly samples: number;
}

const WARMUP = 20;
// A length prefix frames each TCP message (so a reply is sent only for a whole request).
const HEADER = 4;

function frame(bytes: number): Buffer {
  const b = Buffer.alloc(HEADER + bytes, 7);
  b.writeUInt32BE(bytes, 0);
  return b;
}

/** Calls `onMessage` once per whole length-prefixed message received on `socket`. */
function onMessages(socket: Socket, onMessage: () => void): void {
  let pending: Buffer = Buffer.alloc(0);
  socket.on("data", (d: Buffer) => {
    pending = pending.length === 0 ? d : Buffer.concat([pending, d]);
    while (pending.length >= HEADER && pending.length >= HEADER + pending.readUInt32BE(0)) {
      pending = pending.subarray(HEADER + pending.readUInt32BE(0));
      onMessage();
    }
  });
}

async function timed(o: RttOptions, exchange: () => Promise<void>): Promise<number[]> {
  const periodMs = 1000 / o.rateRps;
  const out: number[] = [];
  for (let i = 0; i < WARMUP + o.count; i++) {
    await new Promise((r) => setTimeout(r, periodMs));
    const t0 = performance.now();
    await exchange();
    if (i >= WARMUP) out.push(performance.now() - t0);
  }
  return out;
}

async function tcpRtts(o: RttOptions): Promise<number[]> {
  const socket = connect({ port: o.tcpPort, host: "127.0.0.1", noDelay: true });
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  let waiting: (() => void) | undefined;
  onMessages(socket, () => waiting?.());
  const request = frame(o.requestBytes);
  try {
    return await timed(o, () => new Promise<void>((resolve) => ((waiting = resolve), socket.write(request))));
  } finally {
    socket.destroy();
  }
}

async function http2Rtts(o: RttOptions): Promise<number[]> {
  const session: ClientHttp2Session = h2connect(`http://127.0.0.1:${o.http2Port}`);
  await new Promise<void>((resolve, reject) => session.once("connect", () => resolve()).once("error", reject));
  // gRPC's message framing: 1 flag byte + 4 length bytes.
  const body = Buffer.alloc(5 + o.requestBytes, 7);
  body.writeUInt8(0, 0);
  body.writeUInt32BE(o.requestBytes, 1);
  const exchange = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const st = session.request({ ":method": "POST", ":path": "/inference.GRPCInferenceService/ModelInfer", "content-type": "application/grpc", te: "trailers" });
      st.on("data", () => {});
      st.once("error", reject);
      st.once("close", resolve);
      st.end(body);
    });
  try {
    return await timed(o, exchange);
  } finally {
    session.close();
  }
}

async function serve(responseBytes: number): Promise<void> {
  if (!Number.isInteger(responseBytes) || responseBytes < 0) throw new Error(`_rtt-floor server: responseBytes must be an integer >= 0, got ${responseBytes}`);
  const tcp = createServer({ noDelay: true }, (socket) => onMessages(socket, () => socket.write(frame(responseBytes))));
  const h2 = h2createServer();
  h2.on("stream", (st) => {
    st.on("data", () => {});
    st.once("end", () => {
      const body = Buffer.alloc(5 + responseBytes, 7);
      body.writeUInt32BE(responseBytes, 1);
      st.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      st.once("wantTrailers", () => st.sendTrailers({ "grpc-status": "0" }));
      st.end(body);
    });
  });
  const listen = (s: { listen(port: number, host: string, cb: () => void): unknown; address(): unknown }): Promise<number> =>
    new Promise((resolve) => s.listen(0, "127.0.0.1", () => resolve((s.address() as { port: number }).port)));
  const [tcpPort, http2Port] = [await listen(tcp), await listen(h2)];
  process.stdout.write(`${JSON.stringify({ tcpPort, http2Port })}\n`);
  process.once("SIGTERM", () => process.exit(0));
}

if (process.argv[2] === "server") await serve(Number(process.argv[3]));
else if (process.argv[2] === "client") {
  const o = JSON.parse(process.argv[3] ?? "{}") as RttOptions;
  const tcp = await tcpRtts(o);
  const h2 = await http2Rtts(o);
  const result: RttResult = { tcpP50Ms: quantile(tcp, 0.5), tcpP99Ms: quantile(tcp, 0.99), http2P50Ms: quantile(h2, 0.5), http2P99Ms: quantile(h2, 0.99), samples: o.count };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else throw new Error(`_rtt-floor: expected "server" or "client '<json>'", got ${process.argv.slice(2).join(" ")}`);
