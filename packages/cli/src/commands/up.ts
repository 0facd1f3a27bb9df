import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync, type WriteStream } from "node:fs";
import { createConnection } from "node:net";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createReconcileMetrics, DEFAULT_START_TIMEOUT_MS, LocalActuator, startReconcileLoop, tail, type ElasticSnapshot, type ReconcileLoop } from "@fulcrum/actuator";
import { formatSummary, type RunSummary } from "@fulcrum/core/accounting";
import { connectBus, createLogger, freePort, isNatsReachable, sourceMapsWanted, startMetricsServer, startNatsServer, type Bus, type MetricsServerHandle, type NatsServerHandle } from "@fulcrum/runtime";
import { Command, Option } from "commander";
import { positiveInt, positiveNumber } from "./option-parsers.js";
import { frontStageSpec, waitRegistered } from "../up/front-stage.js";
import { generateNatsUsers, type NatsUser, type NatsUsers } from "../up/nats-users.js";
import { UP_PIPELINES, upPipeline, type UpPipeline } from "../up/pipelines.js";
import { UpStatus } from "../up/status.js";
import { Supervisor, type SupervisedService } from "../up/supervisor.js";

/** Options of `fulcrum up`, after parsing. */
interface UpOptions {
  pipeline: string;
  name?: string;
  replicas?: number;
  maxCores: number;
  duration?: number;
  loadgen: boolean;
  rate: number;
  pattern?: string;
  steps?: string;
  loadgenDuration?: number;
  slo?: number;
  policy: string;
  policyConfig?: string;
  spec?: string;
  interval: number;
  statusEvery: number;
  summaryFile?: string;
  runDir?: string;
}

const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

const out = (s: string): void => void process.stdout.write(`${s}\n`);

/** How long a service may take to be ready at start-up, ms (generous: a loaded machine starts slowly). */
const SERVICE_READY_TIMEOUT_MS = 240_000;
/** Grace of the load generator at shutdown (its requests in flight end by their client deadline), ms. */
const LOADGEN_STOP_GRACE_MS = 5000;
/** Grace of each service at shutdown before SIGKILL, ms (they stop in parallel). */
const SHUTDOWN_GRACE_MS = 10_000;
/** Grace of every process at shutdown while NATS is unreachable, ms. */
const SHUTDOWN_GRACE_NATS_AWAY_MS = 5000;
/** Longest wait for one of the launcher's own NATS clean-ups (unsubscribe, drain) while NATS is unreachable, ms. */
const NATS_AWAY_STEP_MS = 1000;

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

/** `--steps "5:40,60:40,5:40"`: (rps, seconds) pairs of a step load. */
function parseSteps(text: string): Array<{ rps: number; durationS: number }> {
  return text.split(",").map((part, i) => {
    const [rps, s] = part.split(":").map(Number);
    if (!(rps! >= 0 && s! > 0)) throw new Error(`--steps: step ${i + 1} "${part}" is not <rps>:<seconds>`);
    return { rps: rps!, durationS: s! };
  });
}

/**
 * `fulcrum up`: the whole system locally. Starts (or reuses) NATS, then one pipeline end to end as
 * supervised child processes (monitor, gateway, optimizer, predictor; crashed ones restart with
 * backoff) and its stage replicas: elastic by default (the reconcile loop starts, retargets and
 * drains replicas to carry out every Assignment within `--max-cores`), or a fixed set with
 * `--replicas N`; by default a load generator run too. Prints a status table and a status line every
 * few seconds; stops everything on Ctrl-C, SIGTERM or after `--duration`.
 */
export function upCommand(): Command {
  return new Command("up")
    .description("start the whole Fulcrum system locally (embedded nats-server when none answers at NATS_URL)")
    .addOption(new Option("--pipeline <name>", "pipeline to run").choices(UP_PIPELINES).default("fashion"))
    .option("--name <pipeline-name>", "pipeline name on the wire (default: the --pipeline value)")
    .option("--replicas <n>", "run a fixed number of stage replicas instead of elastic ones (for comparison)", positiveInt("--replicas"))
    .option("--max-cores <n>", "cores the stage replicas may hold in all (the optimizer's limit too)", positiveInt("--max-cores"), availableParallelism())
    .option("--duration <s>", "stop everything after this many seconds of running (default: run until Ctrl-C)", positiveNumber("--duration"))
    .option("--no-loadgen", "do not start a load generator")
    .option("--rate <rps>", "load generator rate, requests per second", positiveNumber("--rate"), 20)
    .addOption(new Option("--pattern <name>", "replay one of IPA's seeded patterns instead of a constant rate").choices(["bursty", "steady-low", "steady-high", "fluctuating"]))
    .option("--steps <rps:s,...>", 'a step load instead of a constant rate, e.g. "5:40,60:40,5:40"')
    .option("--loadgen-duration <s>", "load generator run length, s (default: --duration, else 300)", positiveNumber("--loadgen-duration"))
    .option("--slo <ms>", "per-request SLO the load generator sends (default: the pipeline's)", positiveNumber("--slo"))
    .option("--policy <name>", "optimizer policy", "fulcrum")
    .option("--policy-config <json>", "the policy's config as JSON (default: the policy's defaults; for rim and static, what fits this pipeline)")
    .option("--spec <file>", "optimizer pipeline spec (YAML) instead of the pipeline's example spec")
    .option("--interval <ms>", "optimizer decision period, ms", positiveInt("--interval"), 5000)
    .option("--status-every <s>", "seconds between status lines", positiveNumber("--status-every"), 5)
    .option("--summary-file <path>", "write a JSON summary here on exit")
    .option("--run-dir <dir>", "folder for service logs and the loadgen report (default: .fulcrum/runs/<time>)")
    .action(async (opts: UpOptions) => {
      process.exitCode = await up(opts);
      // Everything is stopped by now; a handle left behind (seen: a NATS client's timers after
      // closing its connection to an unreachable server) must not keep the launcher alive.
      setTimeout(() => process.exit(), 2000).unref();
    });
}

/**
 * A policy config that fits the launcher's deployment when the user gives none: RIM pins 3 replicas
 * per stage (at most the cores available here), the static baseline serves the initial variant on
 * one 1-core replica. Other policies use their defaults.
 */
function defaultPolicyConfig(policy: string, pipe: UpPipeline, cores: number): string | undefined {
  if (policy === "rim") return JSON.stringify({ replicas: Math.min(3, cores) });
  if (policy === "static") {
    const stages = { [pipe.stage]: { variant: pipe.initialVariant, batch: 8, coresPerReplica: 1, replicas: 1 } };
    if (pipe.front) stages[pipe.front.stage] = { variant: pipe.front.variant, batch: 8, coresPerReplica: 1, replicas: 1 };
    return JSON.stringify({ stages });
  }
  return undefined;
}

/** One line of the elastic replicas: `linear×2 ready, mlp×1 starting | cold starts 3 (p50 2.1 s)`. */
function elasticLine(s: ElasticSnapshot): string {
  const parts = Object.entries(s.byVariant).map(([k, v]) => {
    const phases = [v.ready && `${v.ready} ready`, v.starting && `${v.starting} starting`, v.draining && `${v.draining} draining`].filter(Boolean).join("/");
    return `${k.split("/")[1]}×${v.ready + v.starting + v.draining} (${phases})`;
  });
  const cs = s.coldStarts.map((c) => c.ms).sort((a, b) => a - b);
  const p50 = cs.length ? cs[Math.floor((cs.length - 1) / 2)]! : 0;
  return `${parts.join(", ") || "none"} | cores ${s.coresHeld}/${s.coreBudget} | cold starts ${cs.length}${cs.length ? ` (p50 ${(p50 / 1000).toFixed(1)} s)` : ""}${s.failedStarts ? `, failed ${s.failedStarts}` : ""}`;
}

async function up(opts: UpOptions): Promise<number> {
  // Every service reads it at start-up and exits on a bad value: refuse it here, once, instead of
  // starting them all into a restart loop.
  try {
    sourceMapsWanted(process.env);
  } catch (err) {
    process.stderr.write(`fulcrum up: ${(err as Error).message}\n`);
    return 1;
  }
  const picked = upPipeline(opts.pipeline, REPO_ROOT, process.env);
  if ("error" in picked) {
    process.stderr.write(`fulcrum up: ${picked.error}\n`);
    return 1;
  }
  let steps: Array<{ rps: number; durationS: number }> | undefined;
  try {
    steps = opts.steps ? parseSteps(opts.steps) : undefined;
  } catch (err) {
    process.stderr.write(`fulcrum up: ${(err as Error).message}\n`);
    return 1;
  }
  const pipe: UpPipeline = picked;
  const name = opts.name ?? pipe.key;
  const elastic = opts.replicas === undefined;
  // A front stage holds one 1-core replica of the cores the optimizer plans with; the elastic
  // replicas get the rest.
  const frontCores = pipe.front ? 1 : 0;
  if (elastic && opts.maxCores <= frontCores) {
    process.stderr.write(`fulcrum up: --max-cores ${opts.maxCores} leaves no core for the "${pipe.stage}" replicas once "${pipe.front!.stage}" holds ${frontCores}: give at least ${frontCores + 1}\n`);
    return 1;
  }
  const runDir = resolve(opts.runDir ?? join(REPO_ROOT, ".fulcrum", "runs", new Date().toISOString().replace(/[:.]/g, "-")));
  mkdirSync(runDir, { recursive: true });
  const started = Date.now();

  let nats: NatsServerHandle | undefined;
  const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
  let url = natsUrl;
  // The private server runs with infra/nats-auth.conf: one user per service, passwords made per run.
  let users: NatsUsers | undefined;
  if (!(await isNatsReachable(natsUrl, 1000))) {
    users = generateNatsUsers();
    nats = await startNatsServer({ configFile: join(REPO_ROOT, "infra", "nats-auth.conf"), env: users.serverEnv });
    url = nats.url;
    out(`nats: nothing answers at ${natsUrl}; started a private nats-server at ${url} (one user per service, infra/nats-auth.conf)`);
  } else {
    out(`nats: using ${url}`);
  }

  const sup = new Supervisor(REPO_ROOT, runDir, out);
  let bus: Bus | undefined;
  let status: UpStatus | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let sampler: NodeJS.Timeout | undefined;
  const timeline: Array<{ tS: number; assignmentVersion: number; coresHeld: number; byVariant: ElasticSnapshot["byVariant"] }> = [];
  // Wall time (Unix ms) the timeline's tS counts from: the moment the load generator is started,
  // so a reader can align it with the load generator's own start (its report's `startedAt`).
  let timelineStartUnixMs: number | undefined;
  let actuator: LocalActuator | undefined;
  let loop: ReconcileLoop | undefined;
  let launcherMetrics: MetricsServerHandle | undefined;
  let reconcilerLog: WriteStream | undefined;
  let exitCode = 0;
  let stopReason = "";
  let wake: (() => void) | undefined;
  const stop = (reason: string): void => {
    if (!stopReason) stopReason = reason;
    // Before the ordered shutdown begins: a Ctrl-C reaches every service too, and their exits are not crashes.
    sup.beginStop();
    wake?.();
  };
  const onSignal = (signal: NodeJS.Signals): void => stop(signal);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const reportFile = join(runDir, "loadgen-report.json");
  const recordsFile = join(runDir, "loadgen-records.jsonl");

  try {
    bus = await connectBus({ servers: url, name: "fulcrum-up", ...(users ? { auth: users.auth("launcher") } : {}) });
    status = new UpStatus(name);
    await status.start(bus);

    const common = { NATS_URL: url, LOG_LEVEL: process.env.LOG_LEVEL ?? "info", ...(await traceExport(process.env)) };
    const creds = (u: NatsUser): Record<string, string> => users?.env(u) ?? {};
    const stageEnv = { ...common, ...creds("stage"), FULCRUM_STAGE_FAMILY: pipe.family };
    const services: SupervisedService[] = [];
    // Ids unique across runs: a previous run's registry entries may still be in KV.
    const runPrefix = `${(Date.now() % 1e6).toString(36)}-`;
    const front = pipe.front
      ? { instance: `${runPrefix}${pipe.front.stage}-0`, svc: sup.start(frontStageSpec(pipe.front, { pipeline: name, instance: `${runPrefix}${pipe.front.stage}-0`, grpcPort: await freePort(), env: { ...common, ...creds("stage") } })) }
      : undefined;
    if (elastic) {
      const metrics = createReconcileMetrics();
      launcherMetrics = await startMetricsServer({ port: await freePort(), host: "127.0.0.1", registry: metrics.registry });
      actuator = new LocalActuator({ repoRoot: REPO_ROOT, logDir: runDir, env: stageEnv });
      // Every action with its reason (a replica that died and its replacement too) goes to a log file.
      reconcilerLog = createWriteStream(join(runDir, "reconciler.log"), { flags: "a" });
      loop = await startReconcileLoop({
        logger: createLogger({ service: "reconciler", level: process.env.LOG_LEVEL ?? "info", base: { pipeline: name }, destination: reconcilerLog }),
        pipeline: name,
        bus,
        actuator,
        coreBudget: opts.maxCores - frontCores,
        bootstrap: { [pipe.stage]: [{ variant: pipe.initialVariant, cores: 1, batchSize: 8 }] },
        // Only the stage it can start (the local actuator runs Fulcrum's stage; a front stage is the launcher's).
        stages: [pipe.stage],
        instancePrefix: runPrefix,
        metrics,
      });
    } else {
      for (let i = 0; i < opts.replicas!; i++) {
        const [grpc, metrics] = [await freePort(), await freePort()];
        services.push(
          sup.start({
            name: `stage-${i}`,
            entry: "services/stage/src/main.ts",
            readyPort: metrics,
            address: `127.0.0.1:${grpc}`,
            env: {
              ...stageEnv,
              FULCRUM_STAGE_PIPELINE: name,
              FULCRUM_STAGE_STAGE: pipe.stage,
              FULCRUM_STAGE_INSTANCE: `${pipe.stage}-${i}`,
              FULCRUM_STAGE_REPLICA_INDEX: String(i),
              FULCRUM_STAGE_VARIANT: pipe.initialVariant,
              FULCRUM_STAGE_GRPC_PORT: String(grpc),
              FULCRUM_STAGE_METRICS_PORT: String(metrics),
            },
          }),
        );
      }
    }
    const monitorPort = await freePort();
    services.push(sup.start({ name: "monitor", entry: "services/monitor/src/main.ts", readyPort: monitorPort, env: { ...common, ...creds("monitor"), FULCRUM_MONITOR_METRICS_PORT: String(monitorPort) } }));
    const [gwGrpc, gwHttp, gwMetrics] = [await freePort(), await freePort(), await freePort()];
    services.push(
      sup.start({
        name: "gateway",
        entry: "services/gateway/src/main.ts",
        readyPort: gwMetrics,
        address: `grpc 127.0.0.1:${gwGrpc}, http 127.0.0.1:${gwHttp}`,
        env: {
          ...common,
          ...creds("gateway"),
          FULCRUM_GATEWAY_PIPELINES: JSON.stringify([{ name, sloMs: pipe.sloMs, stages: [...(pipe.front ? [{ name: pipe.front.stage }] : []), { name: pipe.stage }], accuracies: pipe.accuracies }]),
          FULCRUM_GATEWAY_GRPC_PORT: String(gwGrpc),
          FULCRUM_GATEWAY_HTTP_PORT: String(gwHttp),
          FULCRUM_GATEWAY_METRICS_PORT: String(gwMetrics),
        },
      }),
    );
    const optPort = await freePort();
    const policyConfig = opts.policyConfig ?? defaultPolicyConfig(opts.policy, pipe, elastic ? opts.maxCores : opts.replicas!);
    // Elastic: the optimizer decides replicas and cores per replica within the core budget; fixed:
    // it decides within the running replicas (1 core each).
    const limits = elastic
      ? { maxCores: opts.maxCores, batches: [1, 2, 4, 8], coresPerReplica: Array.from({ length: Math.min(4, opts.maxCores) }, (_, i) => i + 1), maxReplicas: opts.maxCores }
      : { maxCores: opts.replicas! + frontCores, batches: [1, 2, 4, 8], coresPerReplica: [1], maxReplicas: opts.replicas! };
    services.push(
      sup.start({
        name: "optimizer",
        entry: "services/optimizer/src/main.ts",
        readyPort: optPort,
        env: {
          ...common,
          ...creds("optimizer"),
          FULCRUM_OPTIMIZER_PIPELINE: name,
          FULCRUM_OPTIMIZER_SPEC_FILE: opts.spec ? resolve(opts.spec) : pipe.specFile,
          FULCRUM_OPTIMIZER_POLICY: opts.policy,
          ...(policyConfig !== undefined ? { FULCRUM_OPTIMIZER_POLICY_CONFIG: policyConfig } : {}),
          FULCRUM_OPTIMIZER_INTERVAL_MS: String(opts.interval),
          FULCRUM_OPTIMIZER_METRICS_PORT: String(optPort),
          FULCRUM_OPTIMIZER_LIMITS: JSON.stringify(limits),
        },
      }),
    );
    const predPort = await freePort();
    services.push(sup.start({ name: "predictor", entry: "services/predictor/src/main.ts", readyPort: predPort, env: { ...common, ...creds("predictor"), FULCRUM_PREDICTOR_PIPELINE: name, FULCRUM_PREDICTOR_METRICS_PORT: String(predPort) } }));

    await Promise.all([...services.map((c) => sup.waitReady(c, SERVICE_READY_TIMEOUT_MS)), ...(front ? [waitRegistered(status, front.svc, front.instance, 60_000)] : [])]);
    if (loop) {
      // The pipeline serves once its first replica is ready.
      const t0 = Date.now();
      await loop.pass();
      while (!loop.snapshot().replicas.some((r) => r.phase === "ready")) {
        // Two start timeouts: a first start that failed is retried once.
        if (Date.now() - t0 > 2 * DEFAULT_START_TIMEOUT_MS) throw new Error(`no stage replica was ready within ${(2 * DEFAULT_START_TIMEOUT_MS) / 1000} s; replica logs are in ${runDir}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }

    const rows: string[][] = [["service", "pid", "address", "/metrics"]];
    for (const s of sup.services) rows.push([s.spec.name, String(s.child.process.pid ?? "-"), s.spec.address ?? "-", s.spec.readyPort ? `http://127.0.0.1:${s.spec.readyPort}/metrics` : "-"]);
    if (launcherMetrics) rows.push(["reconciler", String(process.pid), "-", `http://127.0.0.1:${launcherMetrics.port}/metrics`]);
    const widths = rows[0]!.map((_, k) => Math.max(...rows.map((r) => r[k]!.length)));
    out("");
    out(`Fulcrum is up: pipeline "${name}" (${pipe.family}, stage${pipe.front ? `s "${pipe.front.stage}" (one replica, variant ${pipe.front.variant}) →` : ""} "${pipe.stage}", ${elastic ? `elastic replicas within ${opts.maxCores} core(s)` : `${opts.replicas} fixed replica(s)`}, SLO ${pipe.sloMs} ms, policy ${opts.policy})`);
    for (const r of rows) out(`  ${r.map((c, k) => c.padEnd(widths[k]!)).join("  ")}`);
    out(`  nats       ${url}${nats ? " (private, stops with fulcrum up)" : ""}`);
    if (loop) out(`  replicas   ${elasticLine(loop.snapshot())}`);
    out(`  assignment v${status.snapshot().assignmentVersion}`);
    out(`  logs       ${runDir}`);
    out(`  REST       POST http://127.0.0.1:${gwHttp}/v2/models/${name}/infer  (OIP JSON; input "${pipe.inputName}" ${pipe.inputDatatype} [N,${pipe.inputShape.join(",")}])`);
    out(`Ctrl-C stops everything.${opts.duration ? ` Stopping by itself after ${opts.duration} s.` : ""}`);
    out("");

    if (opts.loadgen) {
      const loadgenS = opts.loadgenDuration ?? opts.duration ?? 300;
      const rates: Record<string, string> = steps
        ? { FULCRUM_LOADGEN_STEPS: JSON.stringify(steps) }
        : opts.pattern
          ? { FULCRUM_LOADGEN_PATTERN: opts.pattern, FULCRUM_LOADGEN_MAX_DURATION_S: String(loadgenS) }
          : { FULCRUM_LOADGEN_RATE_RPS: String(opts.rate), FULCRUM_LOADGEN_DURATION_S: String(loadgenS) };
      const loadgen = sup.start(
        {
          name: "loadgen",
          entry: "services/loadgen/src/main.ts",
          env: {
            ...common,
            FULCRUM_LOADGEN_TARGET: `127.0.0.1:${gwGrpc}`,
            FULCRUM_LOADGEN_PIPELINE: name,
            FULCRUM_LOADGEN_INPUT_NAME: pipe.inputName,
            FULCRUM_LOADGEN_INPUT_DATATYPE: pipe.inputDatatype,
            FULCRUM_LOADGEN_INPUT_SHAPE: JSON.stringify(pipe.inputShape),
            ...rates,
            FULCRUM_LOADGEN_SLO_MS: String(opts.slo ?? pipe.sloMs),
            FULCRUM_LOADGEN_REPORT_FILE: reportFile,
            FULCRUM_LOADGEN_RECORDS_FILE: recordsFile,
          },
        },
        { restart: false },
      );
      const what = steps ? `steps ${opts.steps}` : opts.pattern ? `IPA pattern "${opts.pattern}" for ${loadgenS} s` : `${opts.rate} rps (Poisson) for ${loadgenS} s`;
      out(`loadgen: ${what}, SLO ${opts.slo ?? pipe.sloMs} ms, report ${reportFile}, every request in ${recordsFile}`);
      void loadgen.child.exited.then(() => {
        const r = readReport(reportFile);
        out(r ? `loadgen finished: ${r}` : `loadgen exited (${loadgen.child.exit}) without a report:\n${tail(loadgen.child.logFile, 5)}`);
      });
    }
    const t0 = Date.now();
    timelineStartUnixMs = t0;
    ticker = setInterval(() => {
      out(status!.line((Date.now() - t0) / 1000));
      if (loop) out(`       replicas ${elasticLine(loop.snapshot())}`);
    }, opts.statusEvery * 1000);
    // Replicas per variant once a second, for the summary (what the reconciler actually ran).
    if (loop) {
      const l = loop;
      sampler = setInterval(() => {
        const e = l.snapshot();
        timeline.push({ tS: Math.round((Date.now() - t0) / 100) / 10, assignmentVersion: e.assignmentVersion, coresHeld: e.coresHeld, byVariant: e.byVariant });
      }, 1000);
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
    if (sampler) clearInterval(sampler);
    out(`stopping (${stopReason || "done"})…`);
    const elasticSnap = loop?.snapshot();
    // The load first (its requests in flight still get their fate), then the optimizer, then the
    // replicas (they finish their queues while the gateway still answers), then the services. With NATS away nothing
    // can deregister or flush: everything stops at once with a short grace, so the shutdown stays
    // bounded (SHUTDOWN_GRACE_NATS_AWAY_MS plus the load's grace).
    const natsAway = bus !== undefined && !bus.connected;
    if (natsAway) out(`NATS is unreachable: stopping every process at once (SIGKILL after ${SHUTDOWN_GRACE_NATS_AWAY_MS / 1000} s)`);
    await sup.stopService("loadgen", LOADGEN_STOP_GRACE_MS);
    // Unsubscribing (a KV watch deletes its consumer) waits on a server that is not there: bounded.
    const settled = (p: Promise<unknown> | undefined): Promise<unknown> => (natsAway ? Promise.race([p, new Promise((r) => setTimeout(r, NATS_AWAY_STEP_MS))]) : (p ?? Promise.resolve()));
    await settled(loop?.stop());
    if (natsAway) {
      await Promise.all([actuator?.close(SHUTDOWN_GRACE_NATS_AWAY_MS), sup.stopAll(SHUTDOWN_GRACE_NATS_AWAY_MS)]);
    } else {
      // The optimizer before the replicas: a decision published while they drain would name a
      // configuration nobody is left to apply (and acks would be missing for it).
      await sup.stopService("optimizer", SHUTDOWN_GRACE_MS);
      await actuator?.close();
      await sup.stopAll(SHUTDOWN_GRACE_MS);
    }
    const replicaProcesses = actuator?.list().map((r) => ({ instance: r.instance, pid: r.pid, exit: r.exit }));
    await launcherMetrics?.close();
    await new Promise<void>((r) => (reconcilerLog ? reconcilerLog.end(r) : r()));
    const snap = status?.snapshot();
    await settled(status?.stop());
    await settled(bus?.drain());
    await nats?.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    const report = existsSync(reportFile) ? (JSON.parse(readFileSync(reportFile, "utf8")) as { summary: unknown }) : undefined;
    if (snap) {
      out(`final: assignment v${snap.assignmentVersion} (${snap.assignment}); highest version applied by a replica: v${snap.highestApplied}`);
      out(`final: gateway saw ${snap.totals.arrivals} requests: ${snap.totals.inTime} in time, ${snap.totals.late} late, ${snap.totals.rejected} rejected, ${snap.totals.failed} failed`);
    }
    if (elasticSnap) out(`final: replicas ${elasticLine(elasticSnap)}; actions ${Object.entries(elasticSnap.actions).map(([k, n]) => `${k}=${n}`).join(" ")}`);
    const r = readReport(reportFile);
    if (r) out(`final: loadgen ${r}`);
    if (opts.summaryFile) {
      const restarts = sup.services.filter((s) => s.restarts > 0).map((s) => ({ name: s.spec.name, restarts: s.restarts, lastCrash: s.lastCrash }));
      writeFileSync(
        opts.summaryFile,
        `${JSON.stringify(
          {
            pipeline: name,
            stopReason,
            exitCode,
            runDir,
            durationS: (Date.now() - started) / 1000,
            status: snap,
            elastic: elasticSnap ? { ...elasticSnap, timelineStartUnixMs, timeline, replicaProcesses } : undefined,
            loadgen: report?.summary,
            restarts,
            children: sup.services.map((s) => ({ name: s.spec.name, pid: s.child.process.pid, exit: s.child.exit, restarts: s.restarts, ...(s.spec.address ? { address: s.spec.address } : {}) })),
          },
          null,
          2,
        )}\n`,
      );
    }
    out(`stopped: ${sup.services.length} service process(es)${elasticSnap ? ` and ${elasticSnap.replicas.length} replica(s)` : ""}${nats ? " and the private nats-server" : ""}.`);
  }
  return exitCode;
}

/** The loadgen report's ledger line (`planned = sent + not-sent | sent = in-time + late + rejected-with-reason + failed | …`). */
function readReport(file: string): string | undefined {
  try {
    return formatSummary((JSON.parse(readFileSync(file, "utf8")) as { summary: RunSummary }).summary);
  } catch {
    return undefined;
  }
}
