/**
 * `npm run bench -- stage`: the stage's serving efficiency. For each case, the real stage service
 * (its own process, with a private nats-server) is driven at saturation by closed-loop OIP clients
 * in another process, and its throughput is divided by bare `session.run` throughput in a worker
 * with the same model, batch and threads, measured in the same run.
 *
 * Cases: ResNet-18 at the zoo's default resolution, batch 8, 1 thread (target ratio ≥ 0.90), and
 * the smallest fashion model at batch 1 (informational: it exposes the fixed per-request cost).
 */
import { spawn, execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { freePort, OipClient, startNatsServer } from "@fulcrum/runtime";
import { ensureGeneratedModel, resolveModelDir, resolveVariant, RESNET_DEFAULT_RESOLUTION } from "@fulcrum/zoo";
import { measureBareSession } from "./_bare-session.ts";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../../", import.meta.url));
const tsNode = [process.execPath, "--conditions=@fulcrum/source", "--import", "tsx"];

interface Case {
  name: string;
  family: string;
  variant: string;
  resolution: number;
  batch: number;
  threads: number;
  input: string;
  tail: number[];
  concurrency: number;
}

interface StageRun {
  rps: number;
  failed: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Share of the load window the replica's session spent in `session.run`. */
  workerUtilization: number;
  /** Mean `session.run` time per batch inside the stage, ms. */
  meanRunMs: number;
}

async function scrape(metricsPort: number): Promise<{ inferenceS: number; batches: number }> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const value = (name: string): number => Number(text.split("\n").find((l) => l.startsWith(name))?.split(" ").pop() ?? Number.NaN);
  return { inferenceS: value("fulcrum_stage_inference_seconds_total"), batches: value("fulcrum_stage_batches_total") };
}

async function measureStage(c: Case, modelDir: string, natsUrl: string, durationS: number): Promise<StageRun> {
  const port = await freePort();
  const metricsPort = await freePort();
  const child = spawn(tsNode[0]!, [...tsNode.slice(1), "services/stage/src/main.ts"], {
    cwd: repo,
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      NATS_URL: natsUrl,
      OTEL_SDK_DISABLED: "true",
      FULCRUM_MODEL_DIR: modelDir,
      FULCRUM_STAGE_PIPELINE: "bench",
      FULCRUM_STAGE_STAGE: "classifier",
      FULCRUM_STAGE_INSTANCE: "bench-0",
      FULCRUM_STAGE_FAMILY: c.family,
      FULCRUM_STAGE_VARIANT: c.variant,
      FULCRUM_STAGE_RESOLUTION: String(c.resolution),
      FULCRUM_STAGE_BATCH_SIZE: String(c.batch),
      FULCRUM_STAGE_CORES: String(c.threads),
      FULCRUM_STAGE_MAX_QUEUE_DELAY_MS: "20",
      FULCRUM_STAGE_GRPC_PORT: String(port),
      FULCRUM_STAGE_METRICS_PORT: String(metricsPort),
      FULCRUM_STAGE_FOLLOW_ASSIGNMENTS: "false",
      FULCRUM_STAGE_LOG_LEVEL: "warn",
    },
  });
  try {
    const probe = new OipClient(`127.0.0.1:${port}`);
    const deadline = Date.now() + 60_000;
    while (!(await probe.ready())) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`stage for ${c.name} did not become ready`);
      await new Promise((r) => setTimeout(r, 200));
    }
    probe.close();
    const before = await scrape(metricsPort);
    const t0 = performance.now();
    // The load client is pinned to CPU 0 when `taskset` exists, so on this 2-core machine it stays
    // off the core the replica's session runs on, as clients on another machine would.
    const pin = existsSync("/usr/bin/taskset") ? ["/usr/bin/taskset", "-c", "0"] : [];
    const { stdout } = await run(
      pin[0] ?? tsNode[0]!,
      [...pin.slice(1), ...(pin.length > 0 ? [tsNode[0]!] : []), ...tsNode.slice(1), "scripts/bench/_oip-load.ts", JSON.stringify({ address: `127.0.0.1:${port}`, model: "classifier", input: c.input, tail: c.tail, concurrency: c.concurrency, warmupS: 2, durationS })],
      { cwd: repo, env: { ...process.env, OTEL_SDK_DISABLED: "true" }, timeout: (durationS + 60) * 1000 },
    );
    const after = await scrape(metricsPort);
    const busy = after.inferenceS - before.inferenceS;
    const wallS = (performance.now() - t0) / 1000;
    return {
      ...(JSON.parse(stdout.trim().split("\n").pop()!) as Omit<StageRun, "workerUtilization" | "meanRunMs">),
      workerUtilization: busy / wallS,
      meanRunMs: (busy * 1000) / (after.batches - before.batches),
    };
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

export default async function stageBench(args: string[]): Promise<object> {
  const durationS = Number(args[0] ?? 10);
  const repetitions = Number(args[1] ?? 3);
  const modelDir = resolveModelDir(process.env, repo);
  ensureGeneratedModel({ family: "resnet", variant: "resnet18", resolution: RESNET_DEFAULT_RESOLUTION, modelDir });
  const R = RESNET_DEFAULT_RESOLUTION;
  const cases: Case[] = [
    { name: "resnet18-b8-t1", family: "resnet", variant: "resnet18", resolution: R, batch: 8, threads: 1, input: "input", tail: [3, R, R], concurrency: 24 },
    { name: "fashion-linear-b1-t1", family: "fashion", variant: "linear", resolution: 28, batch: 1, threads: 1, input: "input", tail: [1, 28, 28], concurrency: 8 },
  ];
  const nats = await startNatsServer();
  const results = [];
  try {
    for (const c of cases) {
      const modelPath = resolveVariant({ family: c.family, variant: c.variant, resolution: c.resolution, modelDir }).path;
      // Interleave bare and stage repetitions so slow drifts of the shared machine hit both alike.
      const bare: number[] = [];
      const bareRunMs: number[] = [];
      const stage: StageRun[] = [];
      for (let i = 0; i < repetitions; i++) {
        const b = await measureBareSession({ modelPath, batchSize: c.batch, threads: c.threads, durationS, repetitions: 1 });
        bare.push(b.itemsPerSecond);
        bareRunMs.push(b.runP50Ms);
        stage.push(await measureStage(c, modelDir, nats.url, durationS));
      }
      const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const ratios = bare.map((b, i) => stage[i]!.rps / b);
      const result = {
        case: c.name,
        model: `${c.family}/${c.variant}@${c.resolution}`,
        batch: c.batch,
        threads: c.threads,
        bareItemsPerSecond: median(bare),
        stageRequestsPerSecond: median(stage.map((s) => s.rps)),
        throughputRatio: median(ratios),
        ratios,
        failedRequests: stage.reduce((a, s) => a + s.failed, 0),
        stageLatencyP50Ms: median(stage.map((s) => s.latencyP50Ms)),
        stageLatencyP99Ms: median(stage.map((s) => s.latencyP99Ms)),
        // Approximate: the load window includes the client's start-up and warm-up.
        stageWorkerUtilization: median(stage.map((s) => s.workerUtilization)),
        bareRunP50Ms: median(bareRunMs),
        stageMeanRunMs: median(stage.map((s) => s.meanRunMs)),
      };
      console.log(
        `${c.name}: bare ${result.bareItemsPerSecond.toFixed(1)} items/s, stage ${result.stageRequestsPerSecond.toFixed(1)} req/s, throughputRatio ${result.throughputRatio.toFixed(3)} (per rep ${ratios.map((r) => r.toFixed(3)).join(", ")}), failed ${result.failedRequests}, worker utilization ${result.stageWorkerUtilization.toFixed(2)}, session.run bare p50 ${result.bareRunP50Ms.toFixed(2)} ms vs in stage mean ${result.stageMeanRunMs.toFixed(2)} ms`,
      );
      results.push(result);
    }
  } finally {
    await nats.stop();
  }
  return {
    durationS,
    repetitions,
    clientPinnedToCpu0: existsSync("/usr/bin/taskset"),
    throughputRatio: results[0]!.throughputRatio,
    smallModelThroughputRatio: results[1]!.throughputRatio,
    cases: results,
  };
}
