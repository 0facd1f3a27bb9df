# One image for every Fulcrum service; the command picks the service.
#   docker build -t fulcrum .
#   docker run fulcrum node --import @fulcrum/runtime/register services/stage/dist/main.js
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY . .
# onnxruntime-node's CUDA-downloading postinstall is denied by package.json's allowScripts.
RUN npm ci --no-audit --no-fund && TURBO_TELEMETRY_DISABLED=1 npx turbo run build \
 && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production OTEL_EXPORTER_OTLP_ENDPOINT=http://jaeger:4318
COPY --from=build /app /app
USER node
CMD ["node", "--import", "@fulcrum/runtime/register", "services/stage/dist/main.js"]
