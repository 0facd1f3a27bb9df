/**
 * Vitest global setup of the integration project: uses the NATS server at `NATS_URL` when one
 * answers there, else starts a private `nats-server -js` on a free port with a temp store, and
 * stops it after the run. Tests read the URL from `process.env.NATS_URL` or `inject("natsUrl")`.
 */
import type { TestProject } from "vitest/node";
import { isNatsReachable, startNatsServer } from "../../packages/runtime/src/nats/index.js";

declare module "vitest" {
  export interface ProvidedContext {
    natsUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const existing = process.env.NATS_URL;
  if (existing && (await isNatsReachable(existing, 1000))) {
    project.provide("natsUrl", existing);
    return async () => {};
  }
  const server = await startNatsServer();
  process.env.NATS_URL = server.url;
  project.provide("natsUrl", server.url);
  return () => server.stop();
}
