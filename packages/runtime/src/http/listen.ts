import type { Server } from "node:http";

/** A listening HTTP server: its bound port and an idempotent close. */
export interface ListeningServer {
  readonly port: number;
  /**
   * Stops listening, closes idle keep-alive connections at once and busy ones after the grace
   * period; every call returns the same promise.
   */
  close(): Promise<void>;
}

/**
 * Starts `server` on `host:port` (0 = a free port) and resolves once it listens.
 * @param closeGraceMs how long `close` lets in-flight responses finish before dropping their connections (default 2000)
 */
export async function listenHttp(server: Server, port: number, host = "127.0.0.1", closeGraceMs = 2000): Promise<ListeningServer> {
  const bound = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const a = server.address();
      resolve(typeof a === "object" && a ? a.port : port);
    });
  });
  let closed: Promise<void> | undefined;
  return {
    port: bound,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.closeIdleConnections();
        server.close(() => resolve());
        setTimeout(() => server.closeAllConnections(), closeGraceMs).unref();
      });
      return closed;
    },
  };
}
