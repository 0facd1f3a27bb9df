#!/bin/sh
# Entry point of the Fulcrum image: runs the service named by FULCRUM_SERVICE as PID 1's exec
# (signals reach Node directly, so SIGTERM starts the service's graceful shutdown).
# `--import @fulcrum/runtime/register` loads OpenTelemetry before the service (gRPC
# auto-instrumentation needs it under ESM).
set -eu
service="${FULCRUM_SERVICE:-}"
case "$service" in
  stage|gateway|monitor|predictor|optimizer|loadgen) ;;
  *)
    echo "fulcrum image: set FULCRUM_SERVICE to one of stage, gateway, monitor, predictor, optimizer, loadgen (got \"$service\")" >&2
    exit 64
    ;;
esac
if [ "$#" -gt 0 ]; then
  echo "fulcrum image: arguments are not used ($*); configure $service with FULCRUM_$(echo "$service" | tr a-z A-Z)_* variables or a YAML file" >&2
  exit 64
fi
cd /app
exec node --import @fulcrum/runtime/register "/app/services/$service/dist/main.js"
