#!/usr/bin/env node
// Health check of the Fulcrum image: GET /readyz of the running service (FULCRUM_SERVICE) on
// 127.0.0.1:$FULCRUM_<SERVICE>_METRICS_PORT. /readyz answers 200 once the service is ready (a
// stage: model loaded, warmed and registered) and 503 while it starts or drains. Exit 0 = healthy.
// The port must be set explicitly: some services default to a random one, and a YAML config file
// is not read here. node:http, not fetch: fetch's first call compiles its HTTP parser, which alone
// can outlast the health check's timeout on a busy machine.
import { get } from "node:http";

const service = process.env.FULCRUM_SERVICE ?? "";
if (service === "loadgen") {
  console.log("loadgen is a batch client: it serves no /readyz");
  process.exit(0);
}
const key = `FULCRUM_${service.toUpperCase()}_METRICS_PORT`;
const port = Number(process.env[key]);
if (!service || !Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`health check: set ${key || "FULCRUM_SERVICE"} to a fixed port (got "${process.env[key] ?? ""}")`);
  process.exit(1);
}
const req = get({ host: "127.0.0.1", port, path: "/readyz", timeout: 2000 }, (res) => {
  res.resume();
  console.log(`${service} /readyz: ${res.statusCode}`);
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on("timeout", () => req.destroy(new Error("no answer within 2 s")));
req.on("error", (err) => {
  console.error(`${service} /readyz on port ${port}: ${err.message}`);
  process.exit(1);
});
