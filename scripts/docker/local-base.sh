#!/usr/bin/env bash
# Builds local stand-ins for the public base images Fulcrum's compose file uses, for machines that
# reach Debian's package mirror but no image registry. Each is a Debian bookworm root filesystem
# made by `mmdebstrap --variant=minbase` and turned into an image by `docker import`:
#
#   fulcrum-local/node:20        for node:20-bookworm-slim: Node and npm copied from this machine
#                                (Debian bookworm's nodejs is 18; Fulcrum needs Node >= 20.19), a
#                                `node` user with uid/gid 1000 as in the official image, and this
#                                machine's CA bundle (NODE_EXTRA_CA_CERTS) so that `npm ci` in the
#                                image build trusts the same TLS roots as npm here (an egress proxy
#                                that re-signs TLS needs its CA inside the build too)
#   fulcrum-local/nats:bookworm  for nats:2.10-alpine: Debian's nats-server (JetStream, KV), wget
#                                for the health check
#   fulcrum-local/prometheus:bookworm  for prom/prometheus: Debian's prometheus, wget, user nobody
#
# Usage: bash scripts/docker/local-base.sh [--force] [node|nats|prometheus …]
#   (root; all three by default; an image that exists is kept unless --force)
# Needs: docker (a running engine), mmdebstrap, and a Node >= 20.19 on PATH whose install is
# /usr/bin/node + /usr/lib/node_modules/npm (Debian/NodeSource layout) or a prefix with bin/node
# and lib/node_modules/npm (the official tarball layout).
set -euo pipefail

force=0
wanted=()
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    node|nats|prometheus) wanted+=("$arg") ;;
    *) echo "local-base: unknown argument \"$arg\" (use --force, node, nats, prometheus)" >&2; exit 64 ;;
  esac
done
[ ${#wanted[@]} -eq 0 ] && wanted=(node nats prometheus)
want() { [[ " ${wanted[*]} " == *" $1 "* ]]; }
MIRROR=${FULCRUM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY=${FULCRUM_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# Documentation, man pages and locales are not needed in a container: leave them out.
SLIM=(--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*'
      --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*'
      --dpkgopt='path-exclude=/usr/share/info/*')
CLEAN=(--customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/*')

say() { printf '== local-base: %s\n' "$*"; }

have_image() { [ "$force" = 0 ] && docker image inspect "$1" >/dev/null 2>&1; }

# debootstrap <image> <docker import --change…> -- <mmdebstrap args…>
debootstrap() {
  local image=$1; shift
  local changes=()
  while [ "$1" != "--" ]; do changes+=(--change "$1"); shift; done
  shift
  if have_image "$image"; then say "$image exists (--force rebuilds it)"; return; fi
  say "building $image"
  local start=$SECONDS
  mmdebstrap --quiet --variant=minbase "${SLIM[@]}" "${CLEAN[@]}" "$@" bookworm - \
    "deb $MIRROR bookworm main" "deb $MIRROR bookworm-updates main" "deb $SECURITY bookworm-security main" \
    | docker import "${changes[@]}" - "$image" >/dev/null
  say "$image built in $((SECONDS - start)) s ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))"
}

command -v mmdebstrap >/dev/null || { echo "local-base: mmdebstrap is missing (apt-get install -y mmdebstrap)" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "local-base: no Docker engine answers (start dockerd)" >&2; exit 1; }

# The host's Node: the binary and npm beside it.
node_bin=$(readlink -f "$(command -v node)")
node_version=$("$node_bin" --version)
case "$node_version" in
  v20.19.*|v20.2[0-9].*|v2[2-9].*) ;;
  *) echo "local-base: Node $node_version found; Fulcrum needs >= 20.19 (<21) or >= 22" >&2; exit 1 ;;
esac
prefix=$(dirname "$(dirname "$node_bin")")
npm_dir=$prefix/lib/node_modules/npm
[ -f "$npm_dir/bin/npm-cli.js" ] || { echo "local-base: npm not found at $npm_dir" >&2; exit 1; }
# Node's own needs are libc, libstdc++ and libgcc_s (check: ldd "$node_bin"), all in minbase.
if ldd "$node_bin" | grep -q 'not found'; then echo "local-base: $node_bin has unmet libraries" >&2; exit 1; fi
ca_bundle=${FULCRUM_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
[ -f "$ca_bundle" ] || { echo "local-base: CA bundle $ca_bundle not found (set FULCRUM_CA_BUNDLE)" >&2; exit 1; }

want node && debootstrap fulcrum-local/node:20 \
  'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin' 'ENV NODE_VERSION='"${node_version#v}" \
  'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' 'CMD ["node"]' -- \
  --customize-hook="mkdir -p \"\$1/etc/ssl/certs\"" \
  --customize-hook="cp -L $ca_bundle \"\$1/etc/ssl/certs/ca-certificates.crt\"" \
  --customize-hook="copy-in $node_bin /usr/local/bin" \
  --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules\"" \
  --customize-hook="copy-in $npm_dir /usr/local/lib/node_modules" \
  --customize-hook='ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"' \
  --customize-hook='ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"' \
  --customize-hook='chroot "$1" groupadd --gid 1000 node' \
  --customize-hook='chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node' \
  --customize-hook='chroot "$1" node --version'

want nats && debootstrap fulcrum-local/nats:bookworm \
  'ENTRYPOINT ["/usr/sbin/nats-server"]' 'CMD ["-js"]' -- \
  --include=nats-server,wget

want prometheus && debootstrap fulcrum-local/prometheus:bookworm \
  'ENTRYPOINT ["/usr/bin/prometheus"]' 'USER nobody' \
  'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]' -- \
  --include=prometheus,wget \
  --customize-hook='mkdir -p "$1/prometheus" && chroot "$1" chown nobody:nogroup /prometheus'

say "done: $(docker image ls --format '{{.Repository}}:{{.Tag}}' 'fulcrum-local/*' | tr '\n' ' ')"
