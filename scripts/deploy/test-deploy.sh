#!/usr/bin/env bash
# `npm run test:deploy`: the compose deployment, built and run for real in Docker on this machine,
# checked from outside, and torn down (also on failure or Ctrl-C). Not part of `npm test`.
#   1. Debian packages when root: docker.io, docker-compose, mmdebstrap (else says what is missing).
#   2. A Docker engine: uses the one that answers, else starts dockerd and stops it at the end.
#   3. Local base images (scripts/docker/local-base.sh; kept when present).
#   4. Builds Fulcrum's image from the Dockerfile through docker-compose.yml + docker-compose.local.yml.
#   5. Brings everything up (NATS with per-service users, passwords made for this run) and waits
#      until every container is healthy (/readyz for Fulcrum's).
#   6. scripts/deploy/check.ts: NATS refuses an anonymous client, OIP over gRPC and REST, an
#      Assignment applied by every stage, the real Prometheus queried for every service and every
#      dashboard panel.
#   7. No container restarted; prints the run time and the image sizes; tears everything down.
# Every container uses the host network bound to 127.0.0.1 (see docker-compose.local.yml).
set -euo pipefail
cd "$(dirname "$0")/../.."
export TURBO_TELEMETRY_DISABLED=1

PROJECT=fulcrum-deploy-test
COMPOSE_FILES=(-f docker-compose.yml -f docker-compose.local.yml)
PORTS=(14222 18222 8000 8001 8101 8102 9101 9102 9465 9466 9467 9468 9090)
HEALTH_TIMEOUT_S=${FULCRUM_DEPLOY_HEALTH_TIMEOUT_S:-240}
start=$SECONDS
started_dockerd=""
logdir=$(mktemp -d /tmp/fulcrum-test-deploy.XXXXXX)

step() { printf '\n== test:deploy: %s\n' "$*"; }
die() { echo "test:deploy: $*" >&2; exit 1; }

# Fresh NATS passwords for this run (compose refuses to start without them), not the user's `.env`.
bash scripts/docker/nats-credentials.sh "$logdir/nats.env" >/dev/null
compose() {
  if command -v docker-compose >/dev/null 2>&1; then docker-compose --env-file "$logdir/nats.env" -p "$PROJECT" "${COMPOSE_FILES[@]}" "$@"
  else docker compose --env-file "$logdir/nats.env" -p "$PROJECT" "${COMPOSE_FILES[@]}" "$@"; fi
}

cleanup() {
  local rc=$?
  set +e
  if docker info >/dev/null 2>&1 && [ -n "$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT")" ]; then
    step "teardown"
    if [ "$rc" -ne 0 ]; then
      compose ps
      for c in $(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT"); do
        echo "--- $(docker inspect -f '{{.Name}} {{.State.Status}} health={{if .State.Health}}{{.State.Health.Status}}{{end}}' "$c") (last log lines)"
        docker logs --tail 15 "$c" 2>&1
      done
    fi
    compose down -v --remove-orphans --timeout 20 >"$logdir/down.log" 2>&1 || cat "$logdir/down.log"
    left=$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT")
    [ -z "$left" ] && echo "no container of $PROJECT left" || echo "test:deploy: containers left: $left" >&2
  fi
  if [ -n "$started_dockerd" ]; then
    step "stopping the dockerd this run started (pid $started_dockerd)"
    kill "$started_dockerd" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "$started_dockerd" 2>/dev/null || break; sleep 1; done
    kill -0 "$started_dockerd" 2>/dev/null && echo "test:deploy: dockerd $started_dockerd did not stop" >&2
  fi
  echo "test:deploy: $([ "$rc" -eq 0 ] && echo passed || echo FAILED) in $((SECONDS - start)) s (logs: $logdir)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "Debian packages"
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
if [ ${#missing[@]} -eq 0 ]; then
  echo "present: docker engine, docker-compose, mmdebstrap"
elif [ "$(id -u)" = 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >"$logdir/apt.log" 2>&1 || { cat "$logdir/apt.log"; die "apt-get install ${missing[*]} failed"; }
  echo "installed: ${missing[*]}"
else
  die "missing: ${missing[*]} (run as root, or apt-get install -y ${missing[*]})"
fi

step "Docker engine"
if docker info >/dev/null 2>&1; then
  echo "using the running engine ($(docker info -f '{{.ServerVersion}}'))"
else
  [ "$(id -u)" = 0 ] || die "no Docker engine answers and only root can start dockerd here"
  dockerd >"$logdir/dockerd.log" 2>&1 &
  started_dockerd=$!
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -20 "$logdir/dockerd.log"; die "dockerd did not answer within 60 s"; }
  echo "started dockerd (pid $started_dockerd, $(docker info -f '{{.ServerVersion}}')); it stops at the end"
fi
if [ -n "$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT")" ]; then
  echo "removing containers left by an earlier run"
  compose down -v --remove-orphans --timeout 20 >/dev/null 2>&1
fi

step "local base images"
bash scripts/docker/local-base.sh

step "ports on 127.0.0.1"
busy=()
for p in "${PORTS[@]}"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then busy+=("$p"); fi
done
[ ${#busy[@]} -eq 0 ] || die "ports already in use on 127.0.0.1: ${busy[*]} (the deployment needs ${PORTS[*]})"
echo "free: ${PORTS[*]}"

step "build the Fulcrum image (Dockerfile on fulcrum-local/node:20)"
build_start=$SECONDS
# Every Fulcrum service shares one image (fulcrum:latest): building it for one service builds it for all.
compose build gateway >"$logdir/build.log" 2>&1 || { tail -40 "$logdir/build.log"; die "image build failed"; }
echo "built in $((SECONDS - build_start)) s (log: $logdir/build.log)"

step "compose up"
compose up -d >"$logdir/up.log" 2>&1 || { cat "$logdir/up.log"; die "compose up failed"; }
containers=$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT")
echo "$(echo "$containers" | wc -l) containers: $(docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}}' $containers | sort | tr '\n' ' ')"

step "wait for health (every container's health check; Fulcrum's is its /readyz)"
health_start=$SECONDS
while :; do
  pending=()
  for c in $containers; do
    read -r name status health <<<"$(docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$c")"
    [ "$status" = running ] || die "$name is $status"
    [ "$health" = none ] && die "$name has no health check"
    [ "$health" = healthy ] || pending+=("$name:$health")
  done
  [ ${#pending[@]} -eq 0 ] && break
  [ $((SECONDS - health_start)) -lt "$HEALTH_TIMEOUT_S" ] || die "not healthy within $HEALTH_TIMEOUT_S s: ${pending[*]}"
  sleep 2
done
echo "all healthy in $((SECONDS - health_start)) s"

step "checks from outside (scripts/deploy/check.ts)"
NATS_USER=launcher NATS_PASSWORD="$(sed -n 's/^FULCRUM_NATS_LAUNCHER_PASSWORD=//p' "$logdir/nats.env")" \
  node --conditions=@fulcrum/source --import tsx scripts/deploy/check.ts

step "no container restarted"
restarts=0
for c in $containers; do
  read -r name count <<<"$(docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}} {{.RestartCount}}' "$c")"
  if [ "$count" != 0 ]; then echo "FAIL  $name restarted $count times"; restarts=1; fi
done
[ "$restarts" = 0 ] || die "containers restarted"
echo "ok    every container ran without a restart"

step "images"
for image in fulcrum:latest fulcrum-local/node:20 fulcrum-local/nats:bookworm fulcrum-local/prometheus:bookworm; do
  printf '%-36s %s\n' "$image" "$(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}')"
done
echo "user of fulcrum:latest: $(docker image inspect -f '{{.Config.User}}' fulcrum:latest)"
