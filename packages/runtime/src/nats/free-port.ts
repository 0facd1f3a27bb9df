import { createServer } from "node:net";

/** Binds an ephemeral TCP port on 127.0.0.1, closes it, and returns its number. */
export type EphemeralPortSource = () => Promise<number>;

/** Ports {@link createPortAllocator} remembers handing out, so a long-lived launcher cannot grow without bound. */
const REMEMBERED_PORTS = 4096;
/** Draws per call before giving up: a collision is rare, eight in a row means something is wrong. */
const MAX_DRAWS = 8;

const bindEphemeral: EphemeralPortSource = () =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });

/**
 * A free-port picker that never hands out the same port twice in one process.
 *
 * Why: the OS may return a port it has just released to the next `listen(0)`. A launcher that asks
 * for several ports before any child has bound them (`fulcrum up` starts the optimizer and the
 * predictor a few milliseconds apart) could then give two services one port; the second dies of
 * EADDRINUSE and its supervisor restarts it into the same collision forever. It happened in CI.
 */
export function createPortAllocator(source: EphemeralPortSource = bindEphemeral): () => Promise<number> {
  const given = new Set<number>();
  return async () => {
    for (let draw = 0; draw < MAX_DRAWS; draw++) {
      const port = await source();
      if (port <= 0 || given.has(port)) continue;
      given.add(port);
      if (given.size > REMEMBERED_PORTS) given.delete(given.values().next().value!);
      return port;
    }
    throw new Error(`freePort: no new free port on 127.0.0.1 after ${MAX_DRAWS} draws (each was 0 or already handed out)`);
  };
}

/**
 * Asks the OS for a free TCP port on 127.0.0.1, never one this process was already given (see
 * {@link createPortAllocator}). Another process may still take it before the caller binds it.
 */
export const freePort: () => Promise<number> = createPortAllocator();
