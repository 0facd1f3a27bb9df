import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { connectBus, freePort, isNatsReachable, startNatsServer, type Bus, type NatsServerHandle, type Stoppable } from "@fulcrum/runtime";
import { Command, Option } from "commander";
import { positiveInt, positiveNumber } from "./option-parsers.js";
import { upPipeline, type UpPipeline } from "../up/pipelines.js";
import { startReactiveForecast } from "../up/reactive-forecast.js";
import { UpStatus } from "../up/status.js";
import { Supervisor, tail, type ManagedChild } from "../up/supervisor.js";

/** Options of `fulcrum up`, after parsing. */
interface UpOptions {
  pipeline: string;
  name?: string;
  replicas: number;
  duration?: number;
  loadgen: boolean;
  rate: number;
  pattern?: string;
  loadgenDuration?: number;
  slo?: number;
  policy: string;
  interval: number;
  statusEvery: number;
  summaryFile?: string;
  runDir?: string;
}

const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const PREDICTOR_MAIN = "services/predictor/src/main.ts";

const out = (s: string): void => void process.stdout.write(`${s}\n`);

/** The local OTLP/HTTP endpoint `fulcrum traces` and a local Jaeger listen on. */
const LOCAL_OTLP = "http://127.0.0.1:4318";

/**
 * Where the services send spans: `OTEL_EXPORTER_OTLP_ENDPOINT` when set; else a collector already
 * listening on 127.0.0.1:4318 (`fulcrum traces`, a local Jaeger); else nowhere (no exporter, so no
 * futile retries against a port nobody listens on).
 */
async function traceExport(env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) return {};
  const listening = await new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port: 4318 });
    socket.setTimeout(300, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
  return listening ? { OTEL_EXPORTER_OTLP_ENDPOINT: LOCAL_OTLP } : { OTEL_TRACES_EXPORTER: "none" };
}

/**
 * `fulcrum up`: the whole system locally. Starts (or reuses) NATS, then one pipeline end to end as
 * child processes (stage replicas, monitor, gateway, optimizer, predictor when present) and by
 * default a load generator run; prints a status table and a status line every few seconds; stops
 * everything on Ctrl-C, SIGTERM or after `--duration`.
 */
export function upCommand(): Command {
  return new Command("up")
    .description("start the whole Fulcrum system locally (embedded nats-server when none answers at NATS_URL)")
    .addOption(new Option("--pipeline <name>", "pipeline to run").choices(["fashion", "resnet"]).default("fashion"))
    .option("--name <pipeline-name>", "pipeline name on the wire (default: the --pipeline value)")
    .option("--replicas <n>", "stage replicas to start", positiveInt("--replicas"), 2)
    .option("--duration <s>", "stop everything after this many seconds of running (default: run until Ctrl-C)", positiveNumber("--duration"))
    .option("--no-loadgen", "do not start a load generator")
    .option("--rate <rps>", "load generator rate, requests per second", positiveNumber("--rate"), 20)
    .addOption(new Option("--pattern <name>", "replay one of IPA's seeded patterns instead of a constant rate").choices(["bursty", "steady-low", "steady-high", "fluctuating"]))
    .option("--loadgen-duration <s>", "load generator run length, s (default: --duration, else 300)", positiveNumber("--loadgen-duration"))
    .option("--slo <ms>", "per-request SLO the load generator sends (default: the pipeline's)", positiveNumber("--slo"))
    .option("--policy <name>", "optimizer policy", "fulcrum")
    .option("--interval <ms>", "optimizer decision period, ms", positiveInt("--interval"), 5000)
    .option("--status-every <s>", "seconds between status lines", positiveNumber("--status-every"), 5)
    .option("--summary-file <path>", "write a JSON summary here on exit")
    .option("--run-dir <dir>", "folder for service logs and the loadgen report (default: .fulcrum/runs/<time>)")
    .action(async (opts: UpOptions) => {
      process.exitCode = await up(opts);
    });
}

async function up(opts: UpOptions): Promise<number> {
  const picked = upPipeline(opts.pipeline, REPO_ROOT, process.env);
  if ("error" in picked) {
    process.stderr.write(`fulcrum up: ${picked.error}\n`);
    return 1;
  }
  const pipe: UpPipeline = picked;
  const name = opts.name ?? pipe.key;
  const runDir = resolve(opts.runDir ?? join(REPO_ROOT, ".fulcrum", "runs", new Date().toISOString().replace(/[:.]/g, "-")));
  mkdirSync(runDir, { recursive: true });
  const started = Date.now();

  let nats: NatsServerHandle | undefined;
  const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
  let url = natsUrl;
  if (!(await isNatsReachable(natsUrl, 1000))) {
    nats = await startNatsServer();
    url = nats.url;
    out(`nats: nothing answers at ${natsUrl}; started a private nats-server at ${url}`);
  } else {
    out(`nats: using ${url}`);
  }

  const sup = new Supervisor(REPO_ROOT, runDir);
  let bus: Bus | undefined;
  let status: UpStatus | undefined;
  let bridge: Stoppable | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let exitCode = 0;
  let stopReason = "";
  let wake: (() => void) | undefined;
  const stop = (reason: string): void => {
    if (!stopReason) stopReason = reason;
    wake?.();
  };
  const onSignal = (signal: NodeJS.Signals): void => stop(signal);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const reportFile = join(runDir, "loadgen-report.json");
  let loadgen: ManagedChild | undefined;

  try {
    bus = await connectBus({ servers: url, name: "fulcrum-up" });
    status = new UpStatus(name);
    await status.start(bus);

    const common = { NATS_URL: url, LOG_LEVEL: process.env.LOG_LEVEL ?? "info", ...(await traceExport(process.env)) };
    const services: ManagedChild[] = [];
    for (let i = 0; i < opts.replicas; i++) {
      const [grpc, metrics] = [await freePort(), await freePort()];
      services.push(
        sup.start({
          name: `stage-${i}`,
          entry: "services/stage/src/main.ts",
          readyPort: metrics,
          address: `127.0.0.1:${grpc}`,
          env: {
            ...common,
            FULCRUM_STAGE_PIPELINE: name,
            FULCRUM_STAGE_STAGE: pipe.stage,
            FULCRUM_STAGE_INSTANCE: `${pipe.stage}-${i}`,
            FULCRUM_STAGE_REPLICA_INDEX: String(i),
            FULCRUM_STAGE_FAMILY: pipe.family,
            FULCRUM_STAGE_VARIANT: pipe.initialVariant,
            FULCRUM_STAGE_GRPC_PORT: String(grpc),
            FULCRUM_STAGE_METRICS_PORT: String(metrics),
          },
        }),
      );
    }
    const monitorPort = await freePort();
    services.push(sup.start({ name: "monitor", entry: "services/monitor/src/main.ts", readyPort: monitorPort, env: { ...common, FULCRUM_MONITOR_METRICS_PORT: String(monitorPort) } }));
    const [gwGrpc, gwHttp, gwMetrics] = [await freePort(), await freePort(), await freePort()];
    const gateway = sup.start({
      name: "gateway",
      entry: "services/gateway/src/main.ts",
      readyPort: gwMetrics,
      address: `grpc 127.0.0.1:${gwGrpc}, http 127.0.0.1:${gwHttp}`,
      env: {
        ...common,
        FULCRUM_GATEWAY_PIPELINES: JSON.stringify([{ name, sloMs: pipe.sloMs, stages: [{ name: pipe.stage }], accuracies: pipe.accuracies }]),
        FULCRUM_GATEWAY_GRPC_PORT: String(gwGrpc),
        FULCRUM_GATEWAY_HTTP_PORT: String(gwHttp),
        FULCRUM_GATEWAY_METRICS_PORT: String(gwMetrics),
      },
    });
    services.push(gateway);
    const optPort = await freePort();
    services.push(
      sup.start({
        name: "optimizer",
        entry: "services/optimizer/src/main.ts",
        readyPort: optPort,
        env: {
          ...common,
          FULCRUM_OPTIMIZER_PIPELINE: name,
          FULCRUM_OPTIMIZER_SPEC_FILE: pipe.specFile,
          FULCRUM_OPTIMIZER_POLICY: opts.policy,
          FULCRUM_OPTIMIZER_INTERVAL_MS: String(opts.interval),
          FULCRUM_OPTIMIZER_METRICS_PORT: String(optPort),
          // The launcher runs a fixed set of replicas: the optimizer decides within them (1 core each).
          FULCRUM_OPTIMIZER_LIMITS: JSON.stringify({ maxCores: opts.replicas, batches: [1, 2, 4, 8], coresPerReplica: [1], maxReplicas: opts.replicas }),
        },
      }),
    );
    let predictorNote: string;
    let predictor: ManagedChild | undefined;
    if (existsSync(join(REPO_ROOT, PREDICTOR_MAIN))) {
      predictor = sup.start({ name: "predictor", entry: PREDICTOR_MAIN, env: { ...common, FULCRUM_PREDICTOR_PIPELINE: name } });
      predictorNote = "started";
    } else {
      bridge = startReactiveForecast(bus, { pipeline: name, intervalMs: Math.max(1000, Math.round(opts.interval / 2)) });
      predictorNote = `MISSING (${PREDICTOR_MAIN} not found): the launcher publishes a reactive moving-max forecast instead`;
    }

    await Promise.all(services.map((c) => sup.waitReady(c, 120_000)));
    if (predictor) {
      await new Promise((r) => setTimeout(r, 1000));
      if (predictor.exit !== undefined) {
        predictorNote = `EXITED (${predictor.exit}); the launcher publishes a reactive moving-max forecast instead. Log tail:\n${tail(predictor.logFile, 5)}`;
        bridge = startReactiveForecast(bus, { pipeline: name, intervalMs: Math.max(1000, Math.round(opts.interval / 2)) });
      }
    }

    const rows: string[][] = [["service", "pid", "address", "/metrics"]];
    for (const c of sup.children) rows.push([c.spec.name, String(c.process.pid ?? "-"), c.spec.address ?? "-", c.spec.readyPort ? `http://127.0.0.1:${c.spec.readyPort}/metrics` : "-"]);
    const widths = rows[0]!.map((_, k) => Math.max(...rows.map((r) => r[k]!.length)));
    out("");
    out(`Fulcrum is up: pipeline "${name}" (${pipe.family}, stage "${pipe.stage}", ${opts.replicas} replica(s), SLO ${pipe.sloMs} ms, policy ${opts.policy})`);
    for (const r of rows) out(`  ${r.map((c, k) => c.padEnd(widths[k]!)).join("  ")}`);
    out(`  nats       ${url}${nats ? " (private, stops with fulcrum up)" : ""}`);
    out(`  predictor  ${predictorNote}`);
    out(`  assignment v${status.snapshot().assignmentVersion}`);
    out(`  logs       ${runDir}`);
    out(`  REST       POST http://127.0.0.1:${gwHttp}/v2/models/${name}/infer  (OIP JSON; input "${pipe.inputName}" FP32 [N,${pipe.inputShape.join(",")}])`);
    out(`Ctrl-C stops everything.${opts.duration ? ` Stopping by itself after ${opts.duration} s.` : ""}`);
    out("");

    if (opts.loadgen) {
      const loadgenS = opts.loadgenDuration ?? opts.duration ?? 300;
      loadgen = sup.start({
        name: "loadgen",
        entry: "services/loadgen/src/main.ts",
        env: {
          ...common,
          FULCRUM_LOADGEN_TARGET: `127.0.0.1:${gwGrpc}`,
          FULCRUM_LOADGEN_PIPELINE: name,
          FULCRUM_LOADGEN_INPUT_NAME: pipe.inputName,
          FULCRUM_LOADGEN_INPUT_SHAPE: JSON.stringify(pipe.inputShape),
          ...(opts.pattern ? { FULCRUM_LOADGEN_PATTERN: opts.pattern, FULCRUM_LOADGEN_MAX_DURATION_S: String(loadgenS) } : { FULCRUM_LOADGEN_RATE_RPS: String(opts.rate), FULCRUM_LOADGEN_DURATION_S: String(loadgenS) }),
          FULCRUM_LOADGEN_SLO_MS: String(opts.slo ?? pipe.sloMs),
          FULCRUM_LOADGEN_REPORT_FILE: reportFile,
        },
      });
      out(`loadgen: ${opts.pattern ? `IPA pattern "${opts.pattern}"` : `${opts.rate} rps (Poisson)`} for ${loadgenS} s, SLO ${opts.slo ?? pipe.sloMs} ms, report ${reportFile}`);
      void loadgen.exited.then(() => {
        const r = readReport(reportFile);
        out(r ? `loadgen finished: ${r}` : `loadgen exited (${loadgen!.exit}) without a report:\n${tail(loadgen!.logFile, 5)}`);
      });
    }
    const t0 = Date.now();
    ticker = setInterval(() => out(status!.line((Date.now() - t0) / 1000)), opts.statusEvery * 1000);
    for (const c of services) {
      void c.exited.then((code) => {
        if (stopReason) return;
        exitCode = 1;
        out(`${c.spec.name} exited unexpectedly (${code}); stopping everything. Log tail:\n${tail(c.logFile, 10)}`);
        stop(`${c.spec.name} exited`);
      });
    }
    await new Promise<void>((r) => {
      wake = r;
      if (stopReason) r();
      if (opts.duration) setTimeout(() => stop(`--duration ${opts.duration}`), opts.duration * 1000).unref();
    });
  } catch (err) {
    exitCode = 1;
    process.stderr.write(`fulcrum up: ${(err as Error).message}\n`);
    stopReason ||= "start-up failed";
  } finally {
    if (ticker) clearInterval(ticker);
    out(`stopping (${stopReason || "done"})…`);
    await sup.stopAll(10_000);
    const snap = status?.snapshot();
    await bridge?.stop();
    await status?.stop();
    await bus?.drain();
    await nats?.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    const report = existsSync(reportFile) ? (JSON.parse(readFileSync(reportFile, "utf8")) as { summary: unknown }) : undefined;
    if (snap) {
      out(`final: assignment v${snap.assignmentVersion} (${snap.assignment}); highest version applied by a replica: v${snap.highestApplied}`);
      out(`final: gateway saw ${snap.totals.arrivals} requests: ${snap.totals.inTime} in time, ${snap.totals.late} late, ${snap.totals.rejected} rejected, ${snap.totals.failed} failed`);
    }
    const r = readReport(reportFile);
    if (r) out(`final: loadgen ${r}`);
    if (opts.summaryFile) {
      writeFileSync(
        opts.summaryFile,
        `${JSON.stringify({ pipeline: name, stopReason, exitCode, runDir, durationS: (Date.now() - started) / 1000, status: snap, loadgen: report?.summary, children: sup.children.map((c) => ({ name: c.spec.name, pid: c.process.pid, exit: c.exit })) }, null, 2)}\n`,
      );
    }
    out(`stopped: ${sup.children.length} service process(es)${nats ? " and the private nats-server" : ""}.`);
  }
  return exitCode;
}

function readReport(file: string): string | undefined {
  try {
    const s = (JSON.parse(readFileSync(file, "utf8")) as { summary: { sent: number; inTime: number; late: number; rejectedWithReason: number; byCode: Record<string, number>; attainment: number; latencyP95Ms: number } }).summary;
    const codes = Object.entries(s.byCode).map(([c, n]) => `${c}=${n}`).join(" ");
    return `sent ${s.sent} = in-time ${s.inTime} + late ${s.late} + rejected-with-reason ${s.rejectedWithReason}${codes ? ` (${codes})` : ""}; attainment ${(100 * s.attainment).toFixed(1)}%, p95 ${s.latencyP95Ms.toFixed(1)} ms`;
  } catch {
    return undefined;
  }
}
