#!/bin/sh
# Entry point of the Fulcrum image: runs the service named by FULCRUM_SERVICE as PID 1's exec
# (signals reach Node directly, so SIGTERM starts the service's graceful shutdown).
# `--import @fulcrum/runtime/register` loads OpenTelemetry before the service (gRPC
# auto-instrumentation needs it under ESM). `reconciler` is `fulcrum reconcile` (the reconcile loop
# on Kubernetes, configured by FULCRUM_RECONCILER_* variables).
set -eu
service="${FULCRUM_SERVICE:-}"
case "$service" in
  stage|gateway|monitor|predictor|optimizer|loadgen|reconciler) ;;
  *)
    echo "fulcrum image: set FULCRUM_SERVICE to one of stage, gateway, monitor, predictor, optimizer, loadgen, reconciler (got \"$service\")" >&2
    exit 64
    ;;
esac
if [ "$#" -gt 0 ]; then
  echo "fulcrum image: arguments are not used ($*); configure $service with FULCRUM_$(echo "$service" | tr a-z A-Z)_* variables or a YAML file" >&2
  exit 64
fi
cd /app
if [ "$service" = reconciler ]; then
  exec node --import @fulcrum/runtime/register /app/packages/cli/dist/bin.js reconcile
fi
# Per-service Node flags: the same as SERVICE_NODE_FLAGS in packages/actuator/src/service-process.ts
# (the data plane and the load generator collect garbage on their main thread alone, the stage's
# old generation may grow to 4x its live size between full collections, and the gateway's and the
# load generator's young generations are capped at 2 MiB semi-spaces; why is written there).
flags=""
if [ "$service" = gateway ]; then flags="--max-semi-space-size=2 --single-threaded-gc"; fi
if [ "$service" = stage ]; then flags="--single-threaded-gc --heap-growing-percent=300"; fi
if [ "$service" = loadgen ]; then flags="--max-semi-space-size=2 --single-threaded-gc"; fi
exec node $flags --import @fulcrum/runtime/register "/app/services/$service/dist/main.js"
