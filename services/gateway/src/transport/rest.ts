import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { status } from "@grpc/grpc-js";
import { FulcrumError, NotFoundError, InvalidArgumentError } from "@fulcrum/core";
import { grpcStatusOf, listenHttp, type ListeningServer, type Logger } from "@fulcrum/runtime";
import type { inference } from "@fulcrum/proto";
import { inferResponseToRest, restToInferRequest } from "./rest-codec.js";

/** What the REST front door needs from the gateway. */
export interface RestDeps {
  /** Runs an inference on `pipeline` (throws typed errors). */
  infer(pipeline: string, req: inference.ModelInferRequest): Promise<inference.ModelInferResponse>;
  ready(): boolean;
  modelReady(pipeline: string): boolean;
  readonly maxBodyBytes: number;
  readonly logger?: Logger;
}

const HTTP_OF_STATUS: Partial<Record<number, number>> = {
  [status.INVALID_ARGUMENT]: 400,
  [status.NOT_FOUND]: 404,
  [status.DEADLINE_EXCEEDED]: 504,
  [status.RESOURCE_EXHAUSTED]: 429,
  [status.UNAVAILABLE]: 503,
  [status.FAILED_PRECONDITION]: 412,
};

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new InvalidArgumentError("body", `larger than ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

const INFER = /^\/v2\/models\/([^/]+)(?:\/versions\/[^/]+)?\/infer$/;
const READY = /^\/v2\/models\/([^/]+)(?:\/versions\/[^/]+)?\/ready$/;

/**
 * The OIP REST mapping: `POST /v2/models/{pipeline}/infer` (KServe v2 JSON), `GET /v2/health/live`,
 * `GET /v2/health/ready`, `GET /v2/models/{pipeline}/ready`. Errors are `{ "error": "…" }` with the
 * HTTP status of their gRPC code (400, 404, 429, 503, 504; 500 otherwise).
 */
export async function startRestServer(deps: RestDeps, host: string, port: number): Promise<ListeningServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    if (req.method === "GET" && path === "/v2/health/live") return send(res, 200, { live: true });
    if (req.method === "GET" && path === "/v2/health/ready") {
      const ok = deps.ready();
      return send(res, ok ? 200 : 503, { ready: ok });
    }
    const ready = READY.exec(path);
    if (req.method === "GET" && ready) {
      const ok = deps.modelReady(decodeURIComponent(ready[1]!));
      return send(res, ok ? 200 : 503, { ready: ok });
    }
    const infer = INFER.exec(path);
    if (req.method === "POST" && infer) {
      const model = decodeURIComponent(infer[1]!);
      void (async () => {
        try {
          const body = await readBody(req, deps.maxBodyBytes);
          let json: unknown;
          try {
            json = JSON.parse(body.toString("utf8"));
          } catch (cause) {
            throw new InvalidArgumentError("body", `not valid JSON: ${(cause as Error).message}`);
          }
          const out = await deps.infer(model, restToInferRequest(model, json));
          send(res, 200, inferResponseToRest(out));
        } catch (err) {
          const code = err instanceof FulcrumError ? grpcStatusOf(err.kind) : status.INTERNAL;
          if (!(err instanceof FulcrumError)) deps.logger?.error({ err }, "REST inference failed");
          send(res, HTTP_OF_STATUS[code] ?? 500, { error: err instanceof FulcrumError ? err.message : "internal error" });
        }
      })();
      return;
    }
    send(res, 404, { error: new NotFoundError("route", `${req.method} ${path}`).message + " (try POST /v2/models/{pipeline}/infer, GET /v2/health/ready)" });
  });
  return listenHttp(server, port, host);
}
