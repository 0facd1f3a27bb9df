import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { status } from "@grpc/grpc-js";
import { FulcrumError, InvalidArgumentError, NotFoundError } from "@fulcrum/core";
import { grpcStatusOf, listenHttp, type ListeningServer, type Logger } from "@fulcrum/runtime";
import type { FrontDoor, RequestIntake } from "./front-door.js";
import { inferResponseToRest, restToInferRequest } from "./rest-codec.js";

/** What the REST front door needs from the gateway. */
export interface RestDeps extends FrontDoor {
  readonly maxBodyBytes: number;
  /** Unix ms clock that stamps arrivals. @default Date.now */
  readonly clock?: () => number;
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

function send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)), ...headers });
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

/** One route of the OIP REST surface: a path pattern, its method, and what it answers. */
interface Route {
  readonly method: "GET" | "POST";
  readonly pattern: RegExp;
  handle(match: RegExpExecArray, req: IncomingMessage, intake: RequestIntake): Promise<{ code: number; body: unknown }>;
}

/** `{name}` and an optional `/versions/{version}` of a model path. */
const MODEL = String.raw`\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?`;

/**
 * The OIP v2 REST surface (as KServe and Triton serve it), a pipeline being a model:
 * `GET /v2` (server metadata), `GET /v2/health/live`, `GET /v2/health/ready`,
 * `GET /v2/models/{name}[/versions/{v}]` (model metadata), `GET /v2/models/{name}[/versions/{v}]/ready`,
 * `POST /v2/models/{name}[/versions/{v}]/infer` (KServe v2 JSON). Errors are
 * `{ "error": "…", "code": "<stable code>" }` with the HTTP status of their gRPC code (400, 404, 405,
 * 429, 503, 504; 500 otherwise). A known path with the wrong method gets 405 and `Allow`.
 */
export async function startRestServer(deps: RestDeps, host: string, port: number): Promise<ListeningServer> {
  const model = (m: RegExpExecArray): { name: string; version: string | undefined } => ({
    name: decodeURIComponent(m[1]!),
    version: m[2] === undefined ? undefined : decodeURIComponent(m[2]),
  });
  const routes: Route[] = [
    { method: "GET", pattern: /^\/v2\/?$/, handle: async () => ({ code: 200, body: deps.serverMetadata() }) },
    { method: "GET", pattern: /^\/v2\/health\/live$/, handle: async () => ({ code: 200, body: { live: true } }) },
    {
      method: "GET",
      pattern: /^\/v2\/health\/ready$/,
      handle: async () => {
        const ready = deps.ready();
        return { code: ready ? 200 : 503, body: { ready } };
      },
    },
    {
      method: "GET",
      pattern: new RegExp(`^${MODEL}\\/ready$`),
      handle: async (m) => {
        const { name, version } = model(m);
        const ready = deps.modelReady(name, version);
        return { code: ready ? 200 : 503, body: { name, ready } };
      },
    },
    {
      method: "GET",
      pattern: new RegExp(`^${MODEL}$`),
      handle: async (m) => {
        const { name, version } = model(m);
        const meta = await deps.metadata(name, version);
        return { code: 200, body: { name: meta.name, versions: meta.versions, platform: meta.platform, inputs: meta.inputs, outputs: meta.outputs } };
      },
    },
    {
      method: "POST",
      pattern: new RegExp(`^${MODEL}\\/infer$`),
      handle: async (m, req, intake) => {
        const { name, version } = model(m);
        const body = await readBody(req, deps.maxBodyBytes);
        let json: unknown;
        try {
          json = JSON.parse(body.toString("utf8"));
        } catch (cause) {
          throw new InvalidArgumentError("body", `not valid JSON: ${(cause as Error).message}`);
        }
        const out = await deps.infer(name, { ...restToInferRequest(name, json), modelVersion: version ?? "" }, intake);
        return { code: 200, body: inferResponseToRest(out) };
      },
    },
  ];

  const clock = deps.clock ?? Date.now;
  const server: Server = createServer((req, res) => {
    // Arrival: Node has just parsed the request's headers (the body is still to come).
    const intake: RequestIntake = {
      arrivalMs: clock(),
      clientDeadlineMs: undefined,
      onAbandoned(listener) {
        res.once("close", () => {
          if (!res.writableEnded) listener(clock());
        });
      },
    };
    const path = (req.url ?? "/").split("?")[0]!;
    const matching = routes.flatMap((r) => {
      const m = r.pattern.exec(path);
      return m ? [{ route: r, match: m }] : [];
    });
    const hit = matching.find((x) => x.route.method === req.method);
    if (!hit) {
      if (matching.length > 0) {
        const allow = [...new Set(matching.map((x) => x.route.method))].join(", ");
        return send(res, 405, { error: `${req.method} is not allowed on ${path} (allowed: ${allow})`, code: "METHOD_NOT_ALLOWED" }, { allow });
      }
      const err = new NotFoundError("route", `${req.method} ${path}`);
      return send(res, 404, { error: `${err.message} (try GET /v2, GET /v2/models/{pipeline}, POST /v2/models/{pipeline}/infer)`, code: err.code });
    }
    hit.route.handle(hit.match, req, intake).then(
      ({ code, body }) => send(res, code, body),
      (err: unknown) => {
        const code = err instanceof FulcrumError ? grpcStatusOf(err.kind) : status.INTERNAL;
        if (!(err instanceof FulcrumError)) deps.logger?.error({ err, path }, "REST request failed");
        send(res, HTTP_OF_STATUS[code] ?? 500, { error: err instanceof FulcrumError ? err.message : "internal error", code: err instanceof FulcrumError ? err.code : "INTERNAL" });
      },
    );
  });
  return listenHttp(server, port, host);
}
