#!/usr/bin/env bash
# `npm run setup`: everything a fresh Debian machine with Node 20 needs to build, test and run
# Fulcrum. Idempotent: a second run only re-checks.
#   1. Debian packages: nats-server (control plane), dataset-fashion-mnist (zoo training data),
#      chromium (the report's headless-browser test, packages/cli/test/report.int.test.ts).
#   2. npm ci (onnxruntime-node's CUDA-downloading postinstall is denied in package.json).
#   3. Build every workspace (protobuf code generation included).
#   4. Build the generated model families that tests use.
#   5. The example stage outside the workspace (examples/custom-stage): its own npm ci and build.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1

step() { printf '\n== setup: %s\n' "$*"; }

step "Debian packages"
missing=()
if ! command -v nats-server >/dev/null 2>&1 && [ ! -x /usr/sbin/nats-server ]; then missing+=(nats-server); fi
if [ ! -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then missing+=(dataset-fashion-mnist); fi
if [ ! -x /usr/bin/chromium ]; then missing+=(chromium); fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "present: nats-server, dataset-fashion-mnist, chromium"
elif [ "$(id -u)" = "0" ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  echo "installed: ${missing[*]}"
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo apt-get update -qq
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  echo "installed: ${missing[*]}"
else
  echo "setup: missing Debian packages: ${missing[*]}" >&2
  echo "setup: run as root (or with passwordless sudo): apt-get install -y ${missing[*]}" >&2
  echo "setup: without them the NATS integration tests and 'npm start' cannot run (or set NATS_URL / NATS_SERVER_BIN)." >&2
fi

step "npm ci"
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.fulcrum-lock-sha256
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_hash" ]; then
  echo "node_modules matches package-lock.json: skipped"
else
  npm ci --no-audit --no-fund
  echo "$lock_hash" > "$stamp"
fi

step "build (turbo: generate protobuf code, compile)"
npx turbo run build --output-logs=errors-only

if [ -f scripts/build-test-models.ts ]; then
  step "models for tests"
  node --conditions=@fulcrum/source --import tsx scripts/build-test-models.ts
fi

step "examples/custom-stage (npm ci, build: its own lockfile and toolchain, outside the workspace)"
example=examples/custom-stage
example_hash=$(sha256sum "$example/package-lock.json" | cut -d' ' -f1)
example_stamp=$example/node_modules/.fulcrum-lock-sha256
if [ -f "$example_stamp" ] && [ "$(cat "$example_stamp")" = "$example_hash" ]; then
  echo "node_modules matches its package-lock.json: skipped"
else
  (cd "$example" && npm ci --no-audit --no-fund)
  echo "$example_hash" > "$example_stamp"
fi
(cd "$example" && npm run build --silent)

step "done"
