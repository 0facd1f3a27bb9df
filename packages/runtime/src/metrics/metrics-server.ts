import { listenHttp } from "../http/listen.js";
import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  /** Port; 0 picks a free one. */
  readonly port: number;
  /**
   * @default "127.0.0.1"
   */
  readonly host?: string;
  readonly registry: Registry;
  /** Readiness for `/readyz` (200 when true, 503 otherwise). */
  readonly ready?: () => boolean;
}

/** A running `/metrics` endpoint. */
export interface MetricsServerHandle {
  readonly port: number;
  close(): Promise<void>;
}

/** Serves Prometheus text exposition on `/metrics`, plus `/healthz` and `/readyz`. */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServerHandle> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/metrics") {
      options.registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { "content-type": options.registry.contentType });
          res.end(text);
        })
        .catch((err: Error) => {
          res.writeHead(500, { "content-type": "text/plain" });
          res.end(`metrics collection failed: ${err.message}\n`);
        });
      return;
    }
    if (req.method === "GET" && path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    if (req.method === "GET" && path === "/readyz") {
      const ok = options.ready?.() ?? true;
      res.writeHead(ok ? 200 : 503, { "content-type": "text/plain" }).end(ok ? "ready\n" : "not ready\n");
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found: try /metrics, /healthz or /readyz\n");
  });
  return listenHttp(server, options.port, options.host);
}
