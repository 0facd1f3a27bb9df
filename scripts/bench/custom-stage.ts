/**
 * `npm run bench -- custom-stage [samples=300]`: the latency profile of the example stage
 * (`examples/custom-stage`, image preprocessing) that the optimizer plans the `fashion-preprocessed`
 * pipeline with (`services/optimizer/examples/fashion-preprocessed.yaml` copies its p99 points).
 *
 * For each batch size b in 1, 2, 4, 8 it starts the built example (`node dist/main.js`, pinned to
 * CPU 1 like the other data-plane benchmarks, batch size b, a private nats-server) and sends rounds
 * of b concurrent single-image requests (UINT8 `[1, 64, 64, 3]`, seeded noise) over OIP gRPC from
 * this process (CPU 0). A round counts only when the stage served all b requests in one batch (every
 * response says `batch_size` = b); its batch latency is, over the b responses, the largest
 * `stage_latency_ms − queue_ms` (start of the batch → the last request answered), the stage's own
 * measurement of the same span `fulcrum profile` times for a model (batch submitted → result).
 * Rounds the stage split into several batches are counted as `splitRounds` and not used.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { credentials, type ServiceError } from "@grpc/grpc-js";
import { createRng } from "@fulcrum/core";
import { quantile } from "@fulcrum/core/stats";
import { GRPCInferenceServiceClient, inference } from "@fulcrum/proto";
import { freePort, OipClient, oipParam, oipParamValue, startNatsServer } from "@fulcrum/runtime";
import { pinned, REPO, serverCpus } from "./_processes.ts";

const ENTRY = join(REPO, "examples", "custom-stage", "dist", "main.js");
const IMAGE = [64, 64, 3] as const;
const BATCHES = [1, 2, 4, 8] as const;
const WARMUP_ROUNDS = 30;
/**
 * Requests per connection in a round: HTTP/2's initial 64 KiB connection window lets about five
 * 12 KiB images through before the server's window update, so a round of 8 on one connection always
 * reaches the stage in two reads, i.e. two batches. Each connection carries at most 4.
 */
const PER_CONNECTION = 4;

/** The measured batch latency of one batch size, ms. */
interface BatchPoint {
  readonly batch: number;
  readonly samples: number;
  readonly splitRounds: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
}

const num = (p: inference.InferParameter | undefined, what: string): number => {
  const v = oipParamValue(p);
  if (typeof v !== "number") throw new Error(`the stage's response lacks the numeric parameter ${what}`);
  return v;
};

async function measureBatch(natsUrl: string, batch: number, samples: number): Promise<BatchPoint> {
  const port = await freePort();
  const [cmd, ...args] = pinned(serverCpus(1), [process.execPath, ENTRY]);
  const child = spawn(cmd, args, {
    cwd: join(REPO, "examples", "custom-stage"),
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      PATH: process.env.PATH ?? "",
      NATS_URL: natsUrl,
      FULCRUM_STAGE_PIPELINE: "bench",
      FULCRUM_STAGE_STAGE: "preprocess",
      FULCRUM_STAGE_INSTANCE: `bench-b${batch}`,
      FULCRUM_STAGE_BATCH_SIZE: String(batch),
      FULCRUM_STAGE_GRPC_PORT: String(port),
    },
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const client = new OipClient(`127.0.0.1:${port}`);
  // Own connections (a local subchannel pool each), so a round's requests arrive together.
  const connections = Array.from({ length: Math.ceil(batch / PER_CONNECTION) }, () => new GRPCInferenceServiceClient(`127.0.0.1:${port}`, credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 }));
  const infer = (k: number, req: inference.ModelInferRequest): Promise<inference.ModelInferResponse> =>
    new Promise((resolve, reject) =>
      connections[k % connections.length]!.modelInfer(req, (err: ServiceError | null, res?: inference.ModelInferResponse) =>
        err ? reject(new Error(`the example stage refused a request: ${err.code} ${err.details}`)) : resolve(res!),
      ),
    );
  try {
    const deadline = Date.now() + 30_000;
    while (!(await client.ready())) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the example stage did not become ready on port ${port}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const rng = createRng(batch);
    const pixels = Buffer.alloc(IMAGE[0] * IMAGE[1] * IMAGE[2]);
    for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(rng.next() * 256);
    const request = (k: number): inference.ModelInferRequest => inference.ModelInferRequest.fromPartial({
      modelName: "preprocess",
      id: `b${batch}-${k}`,
      inputs: [{ name: "image", datatype: "UINT8", shape: [1, ...IMAGE], parameters: {}, contents: undefined }],
      rawInputContents: [pixels],
      parameters: { slo_ms: oipParam.double(10_000) },
    });
    const latencies: number[] = [];
    let split = 0;
    let round = 0;
    const maxRounds = WARMUP_ROUNDS + 20 * samples;
    while (latencies.length < samples && round < maxRounds) {
      round += 1;
      const responses = await Promise.all(Array.from({ length: batch }, (_, k) => infer(k, request(round * batch + k))));
      const spans: number[] = [];
      for (const r of responses) {
        const p = r.parameters;
        if (num(p.batch_size, "batch_size") !== batch) break;
        spans.push(num(p.stage_latency_ms, "stage_latency_ms") - num(p.queue_ms, "queue_ms"));
      }
      if (round <= WARMUP_ROUNDS) continue;
      if (spans.length < batch) split += 1;
      else latencies.push(Math.max(...spans));
    }
    if (latencies.length < samples) throw new Error(`batch ${batch}: only ${latencies.length} of ${samples} rounds were served as one batch (${split} split)`);
    return {
      batch,
      samples: latencies.length,
      splitRounds: split,
      p50Ms: quantile(latencies, 0.5),
      p95Ms: quantile(latencies, 0.95),
      p99Ms: quantile(latencies, 0.99),
      meanMs: latencies.reduce((s, x) => s + x, 0) / latencies.length,
    };
  } finally {
    client.close();
    for (const c of connections) c.close();
    child.kill("SIGTERM");
    const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(kill);
  }
}

/**
 * Sponge's model `γ·b/c + δ·b + ε/c + η` for a stage that runs on one thread whatever its allotment
 * (the example: cores beyond one buy nothing): γ = ε = 0, and δ, η the least-squares line of the
 * p99 points over b (each clamped at 0). The optimizer needs it for cores the points do not cover.
 */
function singleThreadFit(points: readonly BatchPoint[]): { gammaMs: number; deltaMs: number; epsilonMs: number; etaMs: number } {
  const n = points.length;
  const mb = points.reduce((s, p) => s + p.batch, 0) / n;
  const ml = points.reduce((s, p) => s + p.p99Ms, 0) / n;
  const sxy = points.reduce((s, p) => s + (p.batch - mb) * (p.p99Ms - ml), 0);
  const sxx = points.reduce((s, p) => s + (p.batch - mb) ** 2, 0);
  const delta = Math.max(0, sxy / sxx);
  const eta = Math.max(0, ml - delta * mb);
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  return { gammaMs: 0, deltaMs: round(delta), epsilonMs: 0, etaMs: round(eta) };
}

export default async function customStageBench(args: string[]): Promise<object> {
  const samples = Number(args[0] ?? 300);
  if (!(Number.isInteger(samples) && samples >= 20)) throw new Error(`samples: expected an integer ≥ 20, got "${args[0]}"`);
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: build the example first (\`npm run setup\`, or \`npm ci && npm run build\` in examples/custom-stage)`);
  const nats = await startNatsServer();
  const points: BatchPoint[] = [];
  try {
    for (const b of BATCHES) {
      const p = await measureBatch(nats.url, b, samples);
      points.push(p);
      console.log(`custom-stage b=${b}: p50 ${p.p50Ms.toFixed(3)} ms, p95 ${p.p95Ms.toFixed(3)} ms, p99 ${p.p99Ms.toFixed(3)} ms, mean ${p.meanMs.toFixed(3)} ms (${p.samples} batches, ${p.splitRounds} split rounds not used)`);
    }
  } finally {
    await nats.stop();
  }
  return {
    stage: "examples/custom-stage",
    variant: "bilinear",
    image: { datatype: "UINT8", shape: [...IMAGE], layout: "HWC" },
    cores: 1,
    method:
      "rounds of b concurrent single-image requests to the built example (node dist/main.js, batch size b, pinned to CPU 1), client on CPU 0; a round counts when all b were served in one batch; batch latency = max over the round of stage_latency_ms − queue_ms (batch start → last answer), after 30 warm-up rounds",
    points,
    fit: singleThreadFit(points),
  };
}
