#!/usr/bin/env bash
# Writes the NATS passwords of the compose deployment: FULCRUM_NATS_<USER>_PASSWORD for every user
# of infra/nats-auth.conf, random, to FILE (default `.env` in the repository root, git-ignored, which
# `docker compose` reads; for Kubernetes, a file outside the repository to make a Secret from). Keys already in FILE are kept, so re-running it changes nothing; delete
# them to rotate (then `docker compose up -d` recreates the containers). The file is made readable by
# its owner only. Nothing here is a default password: without this file (or the variables set in the
# environment) compose refuses to start, naming the missing variable.
#   bash scripts/docker/nats-credentials.sh [FILE]
set -euo pipefail
# FILE is relative to where the script was called from; the default is the repository's `.env`.
file=${1:-"$(dirname "$0")/../../.env"}
case "$file" in /*) ;; *) file="$PWD/$file" ;; esac
users=(optimizer stage gateway monitor predictor launcher)
touch "$file"
chmod 600 "$file"
# A last line without its newline would run into the first key added.
if [ -s "$file" ] && [ -n "$(tail -c1 "$file")" ]; then echo >>"$file"; fi
added=()
for u in "${users[@]}"; do
  key="FULCRUM_NATS_${u^^}_PASSWORD"
  grep -q "^${key}=" "$file" && continue
  # Starts with a letter: nats-server parses the variable's value, and a leading digit makes it a number.
  printf '%s=p%s\n' "$key" "$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')" >>"$file"
  added+=("$u")
done
if [ ${#added[@]} -gt 0 ]; then echo "nats-credentials: wrote passwords of ${added[*]} to $file"
else echo "nats-credentials: $file already has every user's password (delete a line to rotate it)"; fi
