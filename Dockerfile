# One image for every Fulcrum service; FULCRUM_SERVICE picks the one that runs:
#   docker build -t fulcrum:latest .
#   docker run -e FULCRUM_SERVICE=gateway -e FULCRUM_GATEWAY_CONFIG=… fulcrum:latest
# Services: stage, gateway, monitor, predictor, optimizer, loadgen. The health check is the
# service's /readyz on FULCRUM_<SERVICE>_METRICS_PORT (set it: stage and predictor default to a
# random port).
#
# NODE_IMAGE is the Node 20 base of both stages. The default is the official image; a machine that
# reaches no image registry builds an equivalent one with scripts/docker/local-base.sh and passes
#   --build-arg NODE_IMAGE=fulcrum-local/node:20
# It must provide node >= 20.19 and npm, a shell, tar, and a `node` user (uid 1000).
# Builds with the classic builder and with BuildKit alike (no BuildKit-only syntax).
ARG NODE_IMAGE=node:20-bookworm-slim

# Package manifests only: the dependency layer below is rebuilt only when one of them changes.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
 && find . -name node_modules -prune -o \( -name package.json -o -name package-lock.json -o -name .npmrc \) -print \
    | tar -cf - -T - | tar -xf - -C /manifests

FROM ${NODE_IMAGE} AS build
WORKDIR /src
ENV TURBO_TELEMETRY_DISABLED=1 NPM_CONFIG_UPDATE_NOTIFIER=false
COPY --from=manifests /manifests/ ./
# No install script is needed to build or run Fulcrum: buf, esbuild and turbo find their platform
# binaries in optional dependencies, and onnxruntime-node's script would only download CUDA
# libraries. --ignore-scripts also keeps npm versions without `allowScripts` (npm < 11) safe.
RUN npm ci --ignore-scripts --no-audit --no-fund
# Build every workspace (protobuf code generation included) from only what the build reads, so
# that editing docs, compose files or infra/ rebuilds nothing; then drop dev dependencies.
COPY tsconfig.base.json turbo.json ./
COPY proto proto
COPY packages packages
COPY services services
COPY profiles profiles
RUN npx turbo run build --output-logs=errors-only \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund
# Copy what the services run into /app: manifests, dist/, node_modules, the committed fashion
# models, the predictor's LSTM, the optimizer's example specs and the measured profiles (no
# sources, tests or generated test models; see scripts/docker/assemble.mjs).
COPY scripts/docker/assemble.mjs scripts/docker/
RUN node scripts/docker/assemble.mjs /src /app

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only for the service user: a service writes nothing into its image.
COPY --from=build /app /app
COPY scripts/docker/entrypoint.sh scripts/docker/readyz.mjs /app/scripts/docker/
USER node
HEALTHCHECK --interval=5s --timeout=10s --start-period=120s --retries=3 CMD ["node", "/app/scripts/docker/readyz.mjs"]
ENTRYPOINT ["/app/scripts/docker/entrypoint.sh"]
