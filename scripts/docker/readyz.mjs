#!/usr/bin/env node
// Health check of the Fulcrum image: GET /readyz of the running service (FULCRUM_SERVICE) on
// 127.0.0.1:$FULCRUM_<SERVICE>_METRICS_PORT. /readyz answers 200 once the service is ready (a
// stage: model loaded, warmed and registered) and 503 while it starts or drains. Exit 0 = healthy.
// The port must be set explicitly: some services default to a random one, and a YAML config file
// is not read here.
/* global fetch, AbortSignal */
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
try {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) });
  console.log(`${service} /readyz: ${res.status}`);
  process.exit(res.ok ? 0 : 1);
} catch (err) {
  console.error(`${service} /readyz on port ${port}: ${err.message}`);
  process.exit(1);
}
