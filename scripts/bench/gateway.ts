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
 */
import { freePort, startNatsServer } from "@fulcrum/runtime";
import { ensureGeneratedModel, resolveModelDir, RESNET_DEFAULT_RESOLUTION } from "@fulcrum/zoo";
import { CLIENT_CPUS, canPin, measure, REPO, serverCpus, startServiceProcess, startStageProcess, type LoadOptions, type ServerProcess } from "./_processes.ts";

const R = RESNET_DEFAULT_RESOLUTION;
const PIPELINE = "bench";
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
  const modelDir = resolveModelDir(process.env, REPO);
  ensureGeneratedModel({ family: "resnet", variant: "resnet18", resolution: R, modelDir });
  if (!canPin) console.warn("taskset or a second CPU is missing: processes run unpinned");
  const nats = await startNatsServer();
  let stage: ServerProcess | undefined;
  let gateway: ServerProcess | undefined;
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
    const base = { input: "input", tail: [3, R, R] } as const;
    const direct = (o: Omit<LoadOptions, "address" | "cpuPid" | "model" | "input" | "tail">) => measure(stage!, { ...base, model: "classifier", ...o });
    const via = (o: Omit<LoadOptions, "address" | "cpuPid" | "model" | "input" | "tail">) => measure(gateway!, { ...base, model: PIPELINE, ...o });

    const throughput = [];
    for (let i = 0; i < repetitions; i++) {
      const d = await direct({ concurrency: 24, warmupS: 3, durationS });
      const g = await via({ concurrency: 24, warmupS: 3, durationS });
      throughput.push({ directRequestsPerSecond: d.rps, gatewayRequestsPerSecond: g.rps, ratio: g.rps / d.rps, failed: d.failed + g.failed, gatewayCpuMsPerRequest: g.serverCpuMsPerRequest });
    }
    const lightS = Math.max(durationS, 15);
    const light = [];
    for (let i = 0; i < repetitions; i++) {
      const d = await direct({ rateRps: 20, warmupS: 2, durationS: lightS });
      const g = await via({ rateRps: 20, warmupS: 2, durationS: lightS });
      light.push({ directP50Ms: d.latencyP50Ms, gatewayP50Ms: g.latencyP50Ms, directP99Ms: d.latencyP99Ms, gatewayP99Ms: g.latencyP99Ms, overheadMs: g.latencyP50Ms - d.latencyP50Ms, samples: g.completed, failed: d.failed + g.failed });
    }
    const gatewayThroughputRatio = median(throughput.map((t) => t.ratio));
    const gatewayOverheadP50Ms = median(light.map((l) => l.overheadMs));
    console.log(
      `gatewayThroughputRatio ${gatewayThroughputRatio.toFixed(3)} (resnet18@${R} batch ≤ 8, stage 1 core pinned; per rep ${throughput.map((t) => `${t.gatewayRequestsPerSecond.toFixed(1)}/${t.directRequestsPerSecond.toFixed(1)}`).join(", ")} req/s via gateway / direct; gateway CPU per request ${median(throughput.map((t) => t.gatewayCpuMsPerRequest)).toFixed(3)} ms)`,
    );
    console.log(
      `gatewayOverheadP50Ms ${gatewayOverheadP50Ms.toFixed(2)} (20 req/s fixed schedule; per rep p50 ${light.map((l) => `${l.gatewayP50Ms.toFixed(2)}/${l.directP50Ms.toFixed(2)}`).join(", ")} ms via gateway / direct)`,
    );
    return {
      durationS,
      repetitions,
      pinned: canPin,
      gatewayThroughputRatio,
      gatewayOverheadP50Ms,
      details: { model: `resnet/resnet18@${R}`, stageCpus: serverCpus(1), gatewayCpus: CLIENT_CPUS, clientCpus: CLIENT_CPUS, throughput, light },
    };
  } finally {
    await gateway?.stop();
    await stage?.stop();
    await nats.stop();
  }
}
