/**
 * `npm run bench -- overload [--variant cnn-deep-tta] [--replicas 1] [--batch 8] [--slo 200]
 * [--probe-s 10] [--overload-s 30] [--multiple 10] [--start-rps 50] [--max-rps 4000]`: the gateway under 10× its
 * pipeline's capacity.
 *
 * A local fashion pipeline runs as real processes: a private nats-server, `--replicas` stage
 * replicas of one variant (fixed: they do not follow assignments) and the gateway, all pinned to
 * the CPUs other than CPU 0; the load generator (the real `@fulcrum/loadgen`, open loop, Poisson)
 * runs pinned to CPU 0, so load and system do not take each other's CPU. Capacity is the highest
 * offered rate found by a geometric search (from `--start-rps`, ×1.5, then one bisection) that is served with ≥ 95 % in
 * time and nothing failed; then `--multiple` × that rate is offered for `--overload-s` seconds.
 *
 * Results: `goodputRatio` = in-time responses/s at the multiple ÷ in-time responses/s at capacity
 * (target ≥ 0.8); `rejectP99Ms` = p99 of the refusals' latency as the client measured it (target ≤
 * 10 ms); `reportedVsClientInTimePp` = |the gateway's in-time share (its GatewayMetrics windows,
 * what the monitor and `fulcrum up` show) − the clients' in-time share|, percentage points
 * (target ≤ 2); `failed` = requests that failed at the multiple (target 0).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { NODE_FLAGS } from "@fulcrum/actuator";
import type { RunSummary } from "@fulcrum/core/accounting";
import { control, subjects } from "@fulcrum/proto";
import { connectBus, freePort, OipClient, startNatsServer, type Bus } from "@fulcrum/runtime";
import { resolveModelDir } from "@fulcrum/zoo";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const TASKSET = "/usr/bin/taskset";

interface Options {
  variant: string;
  replicas: number;
  batch: number;
  sloMs: number;
  probeS: number;
  overloadS: number;
  multiple: number;
  /** First rate the capacity search tries, rps. */
  startRps: number;
  /** Highest rate the capacity search tries, rps (a bound on the search, not on the overload). */
  maxRps: number;
}

function parseOptions(args: string[]): Options {
  const o: Options = { variant: "cnn-deep-tta", replicas: 1, batch: 8, sloMs: 200, probeS: 10, overloadS: 30, multiple: 10, startRps: 50, maxRps: 4000 };
  const keys: Record<string, keyof Options> = { "--variant": "variant", "--replicas": "replicas", "--batch": "batch", "--slo": "sloMs", "--probe-s": "probeS", "--overload-s": "overloadS", "--multiple": "multiple", "--start-rps": "startRps", "--max-rps": "maxRps" };
  for (let i = 0; i < args.length; i += 2) {
    const key = keys[args[i]!];
    const value = args[i + 1];
    if (!key || value === undefined) throw new Error(`overload: unknown or incomplete option "${args[i]}" (known: ${Object.keys(keys).join(", ")})`);
    if (key === "variant") o.variant = value;
    else {
      const n = Number(value);
      if (!(n > 0)) throw new Error(`overload: ${args[i]} must be a positive number, got "${value}"`);
      o[key] = n;
    }
  }
  return o;
}

/** CPU lists: the load client gets CPU 0, the system under test the others (all of them on a 1-CPU machine). */
function cpuSets(): { client: string | undefined; system: string | undefined } {
  const n = availableParallelism();
  if (!existsSync(TASKSET)) return { client: undefined, system: undefined };
  return { client: "0", system: n > 1 ? `1-${n - 1}` : "0" };
}

/** Starts a service from the repository's sources, pinned to `cpus`, logging to `<dir>/<name>.log`. */
function startPinned(name: string, entry: string, env: Record<string, string>, cpus: string | undefined, dir: string): ChildProcess {
  const fd = openSync(join(dir, `${name}.log`), "a");
  const argv = [process.execPath, ...NODE_FLAGS, entry];
  const child = spawn(cpus ? TASKSET : argv[0]!, cpus ? ["-c", cpus, ...argv] : argv.slice(1), {
    cwd: repo,
    env: { ...process.env, OTEL_TRACES_EXPORTER: "none", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  return child;
}

async function stop(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(async (c) => {
      if (c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once("exit", r));
      c.kill("SIGTERM");
      const kill = setTimeout(() => c.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(kill);
    }),
  );
}

/** Sums of the gateway's GatewayMetrics windows seen so far. */
interface Reported {
  arrivals: number;
  inTime: number;
  late: number;
  rejected: number;
  failed: number;
}

/** One load generator run (its own process, pinned to the client CPU) and what the gateway reported meanwhile. */
interface Probe {
  rateRps: number;
  summary: RunSummary;
  reported: Reported;
  /** In-time responses per second of trace. */
  inTimeRps: number;
}

/** Gateway Prometheus values whose name (with labels) starts with `prefix`, summed. */
async function scrape(port: number, prefix: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith(prefix))
    .reduce((s, l) => s + Number(l.split(" ").pop()), 0);
}

export default async function overloadBench(args: string[]): Promise<object> {
  const o = parseOptions(args);
  const cpus = cpuSets();
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-bench-overload-"));
  const loadStart = loadavg();
  const pipeline = `overload-${process.pid}`;
  const nats = await startNatsServer();
  const children: ChildProcess[] = [];
  let bus: Bus | undefined;
  let ok = false;
  try {
    bus = await connectBus({ servers: nats.url, name: "bench-overload" });
    const reported: Reported = { arrivals: 0, inTime: 0, late: 0, rejected: 0, failed: 0 };
    bus.subscribe(subjects.gatewayMetrics(pipeline), control.GatewayMetrics, (m) => {
      reported.arrivals += m.arrivals;
      reported.inTime += m.answeredInTime;
      reported.late += m.late;
      reported.rejected += m.rejected;
      reported.failed += m.failed;
    });
    const common = { NATS_URL: nats.url, FULCRUM_MODEL_DIR: resolveModelDir(process.env, repo) };
    for (let i = 0; i < o.replicas; i++) {
      children.push(
        startPinned(
          `stage-${i}`,
          "services/stage/src/main.ts",
          {
            ...common,
            FULCRUM_STAGE_PIPELINE: pipeline,
            FULCRUM_STAGE_STAGE: "classifier",
            FULCRUM_STAGE_INSTANCE: `classifier-${i}`,
            FULCRUM_STAGE_REPLICA_INDEX: String(i),
            FULCRUM_STAGE_FAMILY: "fashion",
            FULCRUM_STAGE_VARIANT: o.variant,
            FULCRUM_STAGE_BATCH_SIZE: String(o.batch),
            FULCRUM_STAGE_CORES: "1",
            FULCRUM_STAGE_FOLLOW_ASSIGNMENTS: "false",
            FULCRUM_STAGE_GRPC_PORT: String(await freePort()),
          },
          cpus.system,
          dir,
        ),
      );
    }
    const [grpcPort, metricsPort] = [await freePort(), await freePort()];
    children.push(
      startPinned(
        "gateway",
        "services/gateway/src/main.ts",
        {
          ...common,
          FULCRUM_GATEWAY_PIPELINES: JSON.stringify([{ name: pipeline, sloMs: o.sloMs, stages: [{ name: "classifier" }] }]),
          FULCRUM_GATEWAY_GRPC_PORT: String(grpcPort),
          FULCRUM_GATEWAY_HTTP_PORT: String(await freePort()),
          FULCRUM_GATEWAY_METRICS_PORT: String(metricsPort),
        },
        cpus.system,
        dir,
      ),
    );
    const target = `127.0.0.1:${grpcPort}`;
    const probeClient = new OipClient(target);
    const readyBy = Date.now() + 180_000;
    for (;;) {
      const ready = await new Promise<boolean>((r) => probeClient.raw.modelReady({ name: pipeline, version: "" }, (e, res) => r(!e && res!.ready)));
      if (ready) break;
      const dead = children.find((c) => c.exitCode !== null);
      if (dead || Date.now() > readyBy) throw new Error(`the pipeline did not become ready (logs in ${dir})`);
      await new Promise((r) => setTimeout(r, 500));
    }
    probeClient.close();

    const runLoad = async (rateRps: number, durationS: number, label: string): Promise<Probe> => {
      const before = { ...reported };
      const reportFile = join(dir, `loadgen-${label}.json`);
      const loadgen = startPinned(
        `loadgen-${label}`,
        "services/loadgen/src/main.ts",
        {
          FULCRUM_LOADGEN_TARGET: target,
          FULCRUM_LOADGEN_PIPELINE: pipeline,
          FULCRUM_LOADGEN_RATE_RPS: String(rateRps),
          FULCRUM_LOADGEN_DURATION_S: String(durationS),
          FULCRUM_LOADGEN_SLO_MS: String(o.sloMs),
          FULCRUM_LOADGEN_SEED: String(Math.round(rateRps)),
          FULCRUM_LOADGEN_MAX_REQUESTS: String(Math.ceil(rateRps * durationS * 1.5) + 100),
          FULCRUM_LOADGEN_REPORT_FILE: reportFile,
        },
        cpus.client,
        dir,
      );
      const code = await new Promise<number | null>((r) => loadgen.once("exit", (c) => r(c)));
      if (!existsSync(reportFile)) throw new Error(`loadgen ${label} exited ${code} without a report (log ${join(dir, `loadgen-${label}.log`)})`);
      const summary = (JSON.parse(readFileSync(reportFile, "utf8")) as { summary: RunSummary; traceSeconds: number }).summary;
      // Every answer is in once the gateway has published two more windows.
      await new Promise((r) => setTimeout(r, 2500));
      const after = { ...reported };
      const diff: Reported = { arrivals: after.arrivals - before.arrivals, inTime: after.inTime - before.inTime, late: after.late - before.late, rejected: after.rejected - before.rejected, failed: after.failed - before.failed };
      const p: Probe = { rateRps, summary, reported: diff, inTimeRps: summary.inTime / durationS };
      console.log(
        `  ${label} ${rateRps.toFixed(0)} rps: in time ${(100 * summary.attainment).toFixed(1)}% (${p.inTimeRps.toFixed(1)}/s), rejected ${summary.rejectedWithReason}, failed ${summary.failed}, ` +
          `not sent ${summary.notSent}, p95 ${summary.latencyP95Ms.toFixed(1)} ms, reject p99 ${summary.rejectP99Ms.toFixed(1)} ms, send lag p99 ${summary.sendLagP99Ms.toFixed(1)} ms; ` +
          `gateway saw ${diff.arrivals} (in time ${diff.inTime}, late ${diff.late}, rejected ${diff.rejected}, failed ${diff.failed}); ledger ${summary.ledgerExact ? "exact" : "NOT exact"}`,
      );
      return p;
    };

    // Warm-up (sessions, channels, the JIT), not measured.
    await runLoad(20, 5, "warmup");
    const passes = (p: Probe): boolean => p.summary.attainment >= 0.95 && p.summary.failed === 0 && p.summary.notSent === 0;
    let best: Probe | undefined;
    let failedAt: number | undefined;
    for (let rate = o.startRps; rate <= o.maxRps; rate *= 1.5) {
      const p = await runLoad(rate, o.probeS, "probe");
      if (!passes(p)) {
        failedAt = rate;
        break;
      }
      best = p;
    }
    if (!best) throw new Error(`the pipeline did not serve even ${o.startRps} rps with 95 % in time: nothing to overload (try a lower --start-rps, a lighter --variant or a longer --slo)`);
    if (failedAt !== undefined) {
      const mid = Math.sqrt(best.rateRps * failedAt);
      const p = await runLoad(mid, o.probeS, "probe");
      if (passes(p)) best = p;
    }
    const capacity = best;
    console.log(`capacity: ${capacity.rateRps.toFixed(0)} rps offered, ${capacity.inTimeRps.toFixed(1)} in-time responses/s`);

    const overloadRps = o.multiple * capacity.rateRps;
    const lagBefore = await scrape(metricsPort, "nodejs_eventloop_lag_p99_seconds");
    const over = await runLoad(overloadRps, o.overloadS, "overload");
    const lagP99Ms = 1000 * (await scrape(metricsPort, "nodejs_eventloop_lag_p99_seconds"));
    const s = over.summary;
    const reportedShare = over.reported.arrivals > 0 ? over.reported.inTime / (over.reported.inTime + over.reported.late + over.reported.rejected + over.reported.failed) : 1;
    const result = {
      goodputRatio: over.inTimeRps / capacity.inTimeRps,
      rejectP99Ms: s.rejectP99Ms,
      reportedVsClientInTimePp: 100 * Math.abs(reportedShare - s.attainment),
      failed: s.failed,
    };
    const transportErrors = await scrape(metricsPort, "fulcrum_gateway_transport_errors_total");
    const shed = await scrape(metricsPort, "fulcrum_gateway_shed_total");
    const loadEnd = loadavg();
    console.log(
      `overload ${o.multiple}× (${overloadRps.toFixed(0)} rps offered, ${s.achievedRps.toFixed(0)} rps sent): goodputRatio ${result.goodputRatio.toFixed(3)} (target ≥ 0.8), ` +
        `rejectP99Ms ${result.rejectP99Ms.toFixed(1)} (≤ 10), reportedVsClientInTimePp ${result.reportedVsClientInTimePp.toFixed(2)} (≤ 2: gateway ${(100 * reportedShare).toFixed(1)}% vs clients ${(100 * s.attainment).toFixed(1)}%), failed ${s.failed} (0); ` +
        `gateway event-loop delay p99 ${lagP99Ms.toFixed(1)} ms, transport errors ${transportErrors}, shed ${shed}; load average ${loadStart.map((x) => x.toFixed(1)).join(" ")} → ${loadEnd.map((x) => x.toFixed(1)).join(" ")}`,
    );
    ok = true;
    return {
      ...result,
      options: o,
      cpus: { client: cpus.client ?? "unpinned (no taskset)", system: cpus.system ?? "unpinned (no taskset)" },
      capacity: { offeredRps: capacity.rateRps, inTimeRps: capacity.inTimeRps, summary: capacity.summary, gatewayReported: capacity.reported },
      overload: {
        offeredRps: overloadRps,
        achievedMultiple: s.achievedRps / capacity.rateRps,
        inTimeRps: over.inTimeRps,
        gatewayInTimeShare: reportedShare,
        clientInTimeShare: s.attainment,
        summary: s,
        gatewayReported: over.reported,
        gatewayEventLoopDelayP99Ms: lagP99Ms,
        gatewayEventLoopDelayP99MsBefore: 1000 * lagBefore,
        gatewayTransportErrors: transportErrors,
        gatewayShed: shed,
      },
      loadAverage: { start: loadStart, end: loadEnd },
    };
  } finally {
    await bus?.drain().catch(() => {});
    await stop(children);
    await nats.stop();
    if (ok) rmSync(dir, { recursive: true, force: true });
    else console.error(`overload: service and load generator logs kept in ${dir}`);
  }
}
