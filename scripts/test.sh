#!/usr/bin/env bash
# `npm test`: static checks (typecheck, lint), then every vitest project (unit and integration,
# real nats-server and gRPC included). Ends with the plain line `N passed, N failed`, derived from
# vitest's JSON report, and exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1

checks_rc=0
npx turbo run build typecheck lint --output-logs=errors-only || checks_rc=$?
# Scripts (setup helpers, benchmarks, the test harness) are checked too.
npx tsc -p tsconfig.scripts.json || checks_rc=$?
npx eslint --config eslint.config.js scripts vitest.config.ts || checks_rc=$?

rm -f vitest.json
npx vitest run --reporter=default --reporter=json --outputFile.json=vitest.json "$@"
tests_rc=$?

[ "$checks_rc" -ne 0 ] && echo "static checks failed (turbo build/typecheck/lint exited $checks_rc): see the errors above"
node scripts/test/summary.mjs vitest.json
summary_rc=$?
if [ "$checks_rc" -ne 0 ] || [ "$tests_rc" -ne 0 ] || [ "$summary_rc" -ne 0 ]; then exit 1; fi
