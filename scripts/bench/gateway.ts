/**
 * `npm run bench -- gateway [durationS=10] [repetitions=3]`: the cost of the gateway hop. One stage
 * replica (ResNet-18 at the zoo's default resolution, batch ≤ 8, 1 core, pinned to CPU 1) and the
 * gateway (its own process, routing by the NATS registry, on CPU 0 beside the load client, so the
 * replica keeps its core) are loaded by the same OIP client (pinned to CPU 0), once through the
 * gateway and once straight to the stage, interleaved.
 *
 * - `gatewayThroughputRatio`: closed-loop saturation, req/s through the gateway ÷ req/s direct,
 *   median over repetitions (target ≥ 0.8).
 * - `gatewayOverheadP50Ms`: 1-row requests at 20 req/s on a fixed schedule, p50 through the gateway
 *   − p50 direct (target ≤ 1 ms).
 *
 * Progress: a plan line with the total of the load windows, then one line per repetition. One load
 * client process serves all runs. Everything started (servers, nats-server, client) is stopped
 * also when the run is interrupted (Ctrl-C, `timeout`).
 */
import { freePort } from "@fulcrum/runtime";
import { ensureGeneratedModel, resolveModelDir, RESNET_DEFAULT_RESOLUTION } from "@fulcrum/zoo";
import { CLIENT_CPUS, canPin, measure, REPO, serverCpus, startBenchNats, startLoadClient, startServiceProcess, startStageProcess, type LoadClient, type LoadOptions, type ServerProcess } from "./_processes.ts";

const R = RESNET_DEFAULT_RESOLUTION;
const PIPELINE = "bench";
const SATURATION_WARMUP_S = 3;
const LIGHT_WARMUP_S = 2;
/** Light-load windows last at least this long (≈ 300 samples at 20 req/s for a stable p50). */
const LIGHT_MIN_S = 15;
const LIGHT_RATE_RPS = 20;
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function startGatewayProcess(natsUrl: string): Promise<ServerProcess> {
  const port = await freePort();
  return startServiceProcess({
    entry: "services/gateway/src/main.ts",
    env: {
      NATS_URL: natsUrl,
      FULCRUM_GATEWAY_PIPELINES: JSON.stringify([{ name: PIPELINE, sloMs: 600_000, stages: [{ name: "classifier" }] }]),
      FULCRUM_GATEWAY_GRPC_PORT: String(port),
      FULCRUM_GATEWAY_HTTP_PORT: String(await freePort()),
      FULCRUM_GATEWAY_METRICS_PORT: String(await freePort()),
      FULCRUM_GATEWAY_LOG_LEVEL: "warn",
    },
    port,
    cpuList: CLIENT_CPUS,
    readyModel: PIPELINE,
    what: "gateway",
  });
}

export default async function gatewayBench(args: string[]): Promise<object> {
  const durationS = Number(args[0] ?? 10);
  const repetitions = Number(args[1] ?? 3);
  if (!(durationS > 0) || !Number.isInteger(repetitions) || repetitions < 1) throw new Error(`gateway bench: expected [durationS > 0] [repetitions ≥ 1], got ${args.join(" ")}`);
  const lightS = Math.max(durationS, LIGHT_MIN_S);
  const windowsS = repetitions * 2 * (SATURATION_WARMUP_S + durationS + LIGHT_WARMUP_S + lightS);
  console.log(
    `gateway: ${repetitions} repetitions of saturation (${SATURATION_WARMUP_S} + ${durationS} s) and light load (${LIGHT_WARMUP_S} + ${lightS} s), each direct and via the gateway: ${windowsS} s of load windows plus process start-up`,
  );
  const modelDir = resolveModelDir(process.env, REPO);
  ensureGeneratedModel({ family: "resnet", variant: "resnet18", resolution: R, modelDir });
  if (!canPin) console.warn("taskset or a second CPU is missing: processes run unpinned");
  const began = performance.now();
  const elapsed = (): string => `${((performance.now() - began) / 1000).toFixed(0)} s`;
  const nats = await startBenchNats();
  let stage: ServerProcess | undefined;
  let gateway: ServerProcess | undefined;
  let client: LoadClient | undefined;
  try {
    stage = await startStageProcess(
      {
        NATS_URL: nats.url,
        FULCRUM_MODEL_DIR: modelDir,
        FULCRUM_STAGE_PIPELINE: PIPELINE,
        FULCRUM_STAGE_STAGE: "classifier",
        FULCRUM_STAGE_INSTANCE: "bench-0",
        FULCRUM_STAGE_FAMILY: "resnet",
        FULCRUM_STAGE_VARIANT: "resnet18",
        FULCRUM_STAGE_RESOLUTION: String(R),
        FULCRUM_STAGE_BATCH_SIZE: "8",
        FULCRUM_STAGE_CORES: "1",
        FULCRUM_STAGE_FOLLOW_ASSIGNMENTS: "false",
      },
      serverCpus(1),
    );
    gateway = await startGatewayProcess(nats.url);
    // One client process for every run: its start-up (seconds on a busy machine) is paid once.
    client = startLoadClient();
    console.log(`stage, gateway and load client started (${elapsed()})`);
    const base = { input: "input", tail: [3, R, R] } as const;
    type Run = Omit<LoadOptions, "address" | "cpuPid" | "model" | "input" | "tail">;
    const direct = (o: Run) => measure(stage!, { ...base, model: "classifier", ...o }, client);
    const via = (o: Run) => measure(gateway!, { ...base, model: PIPELINE, ...o }, client);

    // Each repetition runs all four loads, direct and via the gateway interleaved, so slow drifts
    // of a shared machine hit both sides alike; one line per repetition shows progress.
    const throughput = [];
    const light = [];
    for (let i = 0; i < repetitions; i++) {
      const d = await direct({ concurrency: 24, warmupS: SATURATION_WARMUP_S, durationS });
      const g = await via({ concurrency: 24, warmupS: SATURATION_WARMUP_S, durationS });
      const t = { directRequestsPerSecond: d.rps, gatewayRequestsPerSecond: g.rps, ratio: g.rps / d.rps, failed: d.failed + g.failed, gatewayCpuMsPerRequest: g.serverCpuMsPerRequest };
      const dl = await direct({ rateRps: LIGHT_RATE_RPS, warmupS: LIGHT_WARMUP_S, durationS: lightS });
      const gl = await via({ rateRps: LIGHT_RATE_RPS, warmupS: LIGHT_WARMUP_S, durationS: lightS });
      const l = { directP50Ms: dl.latencyP50Ms, gatewayP50Ms: gl.latencyP50Ms, directP99Ms: dl.latencyP99Ms, gatewayP99Ms: gl.latencyP99Ms, overheadMs: gl.latencyP50Ms - dl.latencyP50Ms, samples: gl.completed, failed: dl.failed + gl.failed };
      throughput.push(t);
      light.push(l);
      console.log(
        `rep ${i + 1}/${repetitions} (${elapsed()}): saturation ${t.gatewayRequestsPerSecond.toFixed(1)}/${t.directRequestsPerSecond.toFixed(1)} req/s via gateway / direct (ratio ${t.ratio.toFixed(3)}); light p50 ${l.gatewayP50Ms.toFixed(2)}/${l.directP50Ms.toFixed(2)} ms (overhead ${l.overheadMs.toFixed(2)} ms); failed ${t.failed + l.failed}`,
      );
    }
    const gatewayThroughputRatio = median(throughput.map((t) => t.ratio));
    const gatewayOverheadP50Ms = median(light.map((l) => l.overheadMs));
    console.log(
      `gatewayThroughputRatio ${gatewayThroughputRatio.toFixed(3)} (resnet18@${R} batch ≤ 8, stage 1 core pinned; per rep ${throughput.map((t) => `${t.gatewayRequestsPerSecond.toFixed(1)}/${t.directRequestsPerSecond.toFixed(1)}`).join(", ")} req/s via gateway / direct; gateway CPU per request ${median(throughput.map((t) => t.gatewayCpuMsPerRequest)).toFixed(3)} ms)`,
    );
    console.log(
      `gatewayOverheadP50Ms ${gatewayOverheadP50Ms.toFixed(2)} (${LIGHT_RATE_RPS} req/s fixed schedule; per rep p50 ${light.map((l) => `${l.gatewayP50Ms.toFixed(2)}/${l.directP50Ms.toFixed(2)}`).join(", ")} ms via gateway / direct)`,
    );
    return {
      durationS,
      repetitions,
      pinned: canPin,
      gatewayThroughputRatio,
      gatewayOverheadP50Ms,
      details: { model: `resnet/resnet18@${R}`, stageCpus: serverCpus(1), gatewayCpus: CLIENT_CPUS, clientCpus: CLIENT_CPUS, lightDurationS: lightS, throughput, light },
    };
  } finally {
    await client?.close();
    await gateway?.stop();
    await stage?.stop();
    await nats.stop();
  }
}
