import type { Server } from "node:http";

/** A listening HTTP server: its bound port and an idempotent close. */
export interface ListeningServer {
  readonly port: number;
  /** Drops open connections and stops listening; every call returns the same promise. */
  close(): Promise<void>;
}

/** Starts `server` on `host:port` (0 = a free port) and resolves once it listens. */
export async function listenHttp(server: Server, port: number, host = "127.0.0.1"): Promise<ListeningServer> {
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
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}
