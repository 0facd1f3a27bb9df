/**
 * `npm run bench -- fidelity [--policy fulcrum] [--window ipa-bursty] [--from 300] [--seconds 180]
 * [--scale 4] [--seed 1] [--interval 5000] [--max-cores 2] [--live-summary DIR]`: does the simulator
 * predict what the live system does? The `fashion` pipeline runs **live** (`fulcrum up`, elastic
 * replicas within `--max-cores`) on a slice of a Twitter window (`--from`, `--seconds`, counts ×
 * `--scale`, replayed as 1 s steps), then **simulated** (`@fulcrum/sim`) on the same arrivals with
 * the profile measured here (`profiles/fashion.json`), the same policy, SLO, decision interval,
 * candidate grid, core budget and start state.
 *
 * - Arrivals: the load generator draws a Poisson count per second (`planArrivals`, its seed 1, the
 *   only one `fulcrum up` runs); the simulator replays exactly those per-second counts (its own
 *   seeded times within each second and service-time draws, `--seed`).
 * - Attainment = in-time share of requests sent (live: the load generator's ledger,
 *   `sent = in time + late + rejected + failed`; sim: its ledger over the same arrivals).
 * - Mean cores = time-averaged cores held by stage replicas (starting, ready, draining) over the
 *   load's span: live from the launcher's once-a-second replica timeline, aligned to the load
 *   generator's start; sim its own per-second series.
 * - A new replica's start in the simulator is the median cold start the live run measured
 *   (`--cold-start-ms` overrides; 5000 ms when the run started none after the first).
 *
 * `--live-summary DIR` reuses a finished live run (`DIR/summary.json`, `DIR/loadgen-report.json`,
 * as this benchmark leaves them) instead of starting one: the simulator side alone is re-run.
 * Writes `attainmentDiffPp` and `meanCoresDiffFraction`, signed, live minus sim (targets: |·| ≤ 3 pp
 * and ≤ 10 %), and both sides' raw figures. The live side is noisy on a busy machine: check the
 * load average recorded with the result.
 */
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRng } from "@fulcrum/core";
import { planArrivals, sliceTraceWindow, TWITTER_WINDOWS, type TwitterWindowName } from "@fulcrum/core/workload";
import { loadTwitterTrace } from "@fulcrum/runtime";
import { parseExperiment, planRuns, simulate, type RunResult } from "@fulcrum/sim";
import { loadExperimentData } from "@fulcrum/sim/node";
import { createHighsSolver } from "@fulcrum/solver";
import { REPO, TS_NODE } from "./_processes.ts";

/** The `fashion` pipeline as `fulcrum up` runs it (packages/cli/src/up/pipelines.ts). */
const FASHION = { stage: "classifier", variants: ["linear", "mlp", "cnn-small", "cnn-deep", "cnn-deep-tta"], initialVariant: "linear", sloMs: 200 } as const;
/** The load generator's seed under `fulcrum up` (its default; the launcher sets none). */
const LOADGEN_SEED = 1;
/** The load generator's cap on planned requests (its default). */
const LOADGEN_MAX_REQUESTS = 100_000;
/** Seconds `fulcrum up` keeps running after the trace ends: the load generator's last answers (SLO + 2 s grace). */
const DRAIN_S = 10;
/** Longest wait for `fulcrum up` to bring the system up before the load starts, s. */
const STARTUP_BUDGET_S = 180;
/**
 * An in-place core change of a live replica (a KV placement the replica applies by rebuilding its
 * session pool), ms: an assumption of the simulator side, not measured by this benchmark.
 */
const IN_PLACE_CHANGE_MS = 100;
/** Cold start assumed when the live run started no replica after its first, ms. */
const DEFAULT_COLD_START_MS = 5000;
const TARGETS = { attainmentPp: 3, meanCoresFraction: 0.1 } as const;

interface Options {
  policy: string;
  window: TwitterWindowName;
  fromS: number;
  seconds: number;
  scale: number;
  seed: number;
  intervalMs: number;
  maxCores: number;
  coldStartMs?: number;
  liveDir?: string;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { policy: "fulcrum", window: "ipa-bursty", fromS: 300, seconds: 180, scale: 4, seed: 1, intervalMs: 5000, maxCores: 2 };
  const num = (flag: string, v: string | undefined, min: number, int: boolean): number => {
    const x = Number(v);
    if (v === undefined || !Number.isFinite(x) || x < min || (int && !Number.isInteger(x))) throw new Error(`fidelity: ${flag} needs ${int ? "an integer" : "a number"} ≥ ${min}, got ${v ?? "nothing"}`);
    return x;
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, v] = [argv[i]!, argv[i + 1]];
    if (flag === "--policy" && v) o.policy = v;
    else if (flag === "--window") {
      if (!v || !(v in TWITTER_WINDOWS)) throw new Error(`fidelity: --window must be one of ${Object.keys(TWITTER_WINDOWS).join(", ")}, got ${v ?? "nothing"}`);
      o.window = v as TwitterWindowName;
    } else if (flag === "--from") o.fromS = num(flag, v, 0, true);
    else if (flag === "--seconds") o.seconds = num(flag, v, 10, true);
    else if (flag === "--scale") o.scale = num(flag, v, 0.01, false);
    else if (flag === "--seed") o.seed = num(flag, v, 0, true);
    else if (flag === "--interval") o.intervalMs = num(flag, v, 100, true);
    else if (flag === "--max-cores") o.maxCores = num(flag, v, 1, true);
    else if (flag === "--cold-start-ms") o.coldStartMs = num(flag, v, 0, false);
    else if (flag === "--live-summary" && v) o.liveDir = v;
    else throw new Error(`fidelity: unknown or incomplete option ${flag} (see the header of scripts/bench/fidelity.ts)`);
  }
  if (o.seconds > 300) throw new Error(`fidelity: --seconds ${o.seconds} exceeds the 300 s bound of a live run`);
  if (o.policy === "static") throw new Error("fidelity: --policy static needs a hand-written config; pick another policy");
  return o;
}

/** Per-second rates of the slice and the per-second counts the load generator will send. */
function workload(o: Options): { rates: number[]; counts: number[] } {
  const window = sliceTraceWindow(loadTwitterTrace(), TWITTER_WINDOWS[o.window]);
  if (o.fromS + o.seconds > window.length) throw new Error(`fidelity: --from ${o.fromS} + --seconds ${o.seconds} runs past the ${window.length} s of window ${o.window}`);
  const rates = window.slice(o.fromS, o.fromS + o.seconds).map((c) => c * o.scale);
  // The load generator's own plan (same function, seed and SLO), so both sides get the same arrivals.
  const plan = planArrivals(rates, { fixedMs: FASHION.sloMs }, createRng(LOADGEN_SEED), LOADGEN_MAX_REQUESTS);
  const counts = rates.map(() => 0);
  for (const p of plan) counts[Math.floor(p.atMs / 1000)]! += 1;
  return { rates, counts };
}

/** Runs `fulcrum up` for the slice; resolves with its run folder. Kills its process group if it overruns. */
async function runLive(o: Options, rates: readonly number[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-fidelity-"));
  const args = [
    ...TS_NODE.slice(1), "packages/cli/src/bin.ts", "up", "--pipeline", "fashion", "--policy", o.policy,
    "--max-cores", String(o.maxCores), "--interval", String(o.intervalMs), "--steps", rates.map((r) => `${r}:1`).join(","),
    "--duration", String(o.seconds + DRAIN_S), "--status-every", "30", "--run-dir", dir, "--summary-file", join(dir, "summary.json"),
  ];
  const log = createWriteStream(join(dir, "up.log"));
  // Own process group, so an overrun can stop fulcrum up and everything it started.
  const child = spawn(TS_NODE[0], args, { cwd: REPO, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LOG_LEVEL: "warn" } });
  for (const s of [child.stdout, child.stderr]) {
    s.on("data", (b: Buffer) => {
      log.write(b);
      for (const line of b.toString().split("\n")) if (/^(loadgen|final|stopped|fulcrum up:|\s*\d+s )/.test(line)) console.log(`  live | ${line.length > 240 ? `${line.slice(0, 240)}…` : line}`);
    });
  }
  const limitS = STARTUP_BUDGET_S + o.seconds + DRAIN_S + 60;
  const killer = setTimeout(() => {
    console.log(`  live | overran ${limitS} s: stopping its process group`);
    try { process.kill(-child.pid!, "SIGTERM"); } catch { /* already gone */ }
    setTimeout(() => { try { process.kill(-child.pid!, "SIGKILL"); } catch { /* already gone */ } }, 20_000).unref();
  }, limitS * 1000);
  const code = await new Promise<number | null>((r) => child.once("exit", r));
  clearTimeout(killer);
  await new Promise<void>((r) => log.end(r));
  if (code !== 0) throw new Error(`fidelity: fulcrum up exited with ${code}; its output is in ${join(dir, "up.log")}`);
  return dir;
}

interface LiveSummary {
  status?: { totals?: { arrivals: number; inTime: number; late: number; rejected: number; failed: number } };
  elastic?: { timelineStartUnixMs?: number; timeline: Array<{ tS: number; coresHeld: number; byVariant: Record<string, unknown> }>; coldStarts: Array<{ ms: number }> };
  loadgen?: { sent: number; inTime: number; late: number; rejectedWithReason: number; failed: number; notSent: number; attainment: number; latencyP99Ms: number; variants: Record<string, number> };
}

/** The live side's figures over the load's span. */
function liveFigures(dir: string, seconds: number) {
  const summaryFile = join(dir, "summary.json");
  const reportFile = join(dir, "loadgen-report.json");
  if (!existsSync(summaryFile) || !existsSync(reportFile)) throw new Error(`fidelity: ${dir} lacks summary.json or loadgen-report.json`);
  const s = JSON.parse(readFileSync(summaryFile, "utf8")) as LiveSummary;
  const report = JSON.parse(readFileSync(reportFile, "utf8")) as { startedAt: string };
  if (!s.loadgen || !s.elastic) throw new Error(`fidelity: ${summaryFile} has no load generator summary or elastic replica timeline`);
  if (s.elastic.timelineStartUnixMs === undefined) throw new Error(`fidelity: ${summaryFile} has no elastic.timelineStartUnixMs (written by fulcrum up since the fidelity benchmark)`);
  // The timeline counts from the launcher's start of the load generator; the load itself starts
  // once the load generator's process is up (its report's startedAt).
  const offsetS = (Date.parse(report.startedAt) - s.elastic.timelineStartUnixMs) / 1000;
  const span = s.elastic.timeline.filter((p) => p.tS > offsetS && p.tS <= offsetS + seconds);
  if (span.length < seconds * 0.8) throw new Error(`fidelity: the replica timeline has ${span.length} samples over the load's ${seconds} s`);
  const meanCores = span.reduce((a, p) => a + p.coresHeld, 0) / span.length;
  const colds = s.elastic.coldStarts.map((c) => c.ms).sort((a, b) => a - b);
  // In-time answers per second of arrival, from the load generator's record of every request.
  const inTimeBySecond = Array.from({ length: seconds }, () => 0);
  const recordsFile = join(dir, "loadgen-records.jsonl");
  if (existsSync(recordsFile)) {
    for (const line of readFileSync(recordsFile, "utf8").split("\n")) {
      if (!line) continue;
      const rec = JSON.parse(line) as { atMs: number; fate: string };
      const k = Math.floor(rec.atMs / 1000);
      if (rec.fate === "in-time" && k < seconds) inTimeBySecond[k]! += 1;
    }
  }
  const lg = s.loadgen;
  return {
    sent: lg.sent, inTime: lg.inTime, late: lg.late, rejected: lg.rejectedWithReason, failed: lg.failed, notSent: lg.notSent,
    attainment: lg.attainment, meanCores, p99LatencyMs: lg.latencyP99Ms, variants: lg.variants,
    coldStarts: colds.length, coldStartMsAll: colds, loadStartOffsetS: offsetS, timelineSamples: span.length,
    gatewayTotals: s.status?.totals,
    inTimeBySecond,
  };
}

function median(xs: readonly number[]): number | undefined {
  return xs.length === 0 ? undefined : xs[Math.floor((xs.length - 1) / 2)];
}

/** The simulator side: the fashion pipeline as `fulcrum up` deploys it, on the live run's arrivals. */
async function runSim(o: Options, counts: readonly number[], coldStartMs: number): Promise<RunResult> {
  const spec = parseExperiment(
    {
      id: "fidelity-fashion",
      title: "fidelity: the fashion pipeline as fulcrum up runs it",
      description: "One classifier stage with the fashion family, elastic replicas within the core budget, the live run's arrivals.",
      pipeline: { name: "fashion", stages: [{ name: FASHION.stage, variants: [...FASHION.variants] }] },
      sloMs: FASHION.sloMs,
      // Planned for the window's slice; the counts are replaced below by the load generator's plan.
      workload: { trace: "twitter", patterns: { live: o.window } },
      profiles: { measured: { stages: { [FASHION.stage]: { source: "measured", file: "profiles/fashion.json" } } } },
      defaultProfiles: "measured",
      // fulcrum up's elastic limits (packages/cli/src/commands/up.ts).
      limits: { maxCores: o.maxCores, batches: [1, 2, 4, 8], coresPerReplica: Array.from({ length: Math.min(4, o.maxCores) }, (_, i) => i + 1), maxReplicas: o.maxCores },
      // The optimizer's interval; the predictor's defaults (best forecaster of 10 s peaks over 20 s, upper bound, α = 0.1, every 10 s).
      control: { intervalMs: o.intervalMs },
      actuation: { mode: "in-place", replicaStartMs: coldStartMs, warmupMs: 0, inPlaceChangeMs: IN_PLACE_CHANGE_MS },
      seed: o.seed,
      policies: [{
        name: o.policy,
        policy: o.policy,
        // fulcrum up's default for rim; the other policies run their defaults there too.
        ...(o.policy === "rim" ? { config: { replicas: Math.min(3, o.maxCores) } } : {}),
        // The reconcile loop's bootstrap: one 1-core replica of the initial variant, batch 8.
        initial: { [FASHION.stage]: [{ variant: FASHION.initialVariant, batch: 8, coresPerReplica: 1, replicas: 1 }] },
      }],
    },
    "scripts/bench/fidelity.ts",
  );
  const [run] = planRuns(spec, loadExperimentData(spec));
  const scenario = { ...run!.scenario, workload: { kind: "trace" as const, countsPerSecond: counts, scale: 1 } };
  const solver = createHighsSolver();
  try {
    return await simulate(scenario, { solver });
  } finally {
    await solver.close();
  }
}

const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;

/** In-time share of the arrivals of the seconds `keep` selects. */
function attainmentWhere(inTime: readonly number[], arrivals: readonly number[], keep: (s: number) => boolean): number {
  let a = 0;
  let t = 0;
  arrivals.forEach((n, s) => {
    if (keep(s)) [a, t] = [a + n, t + (inTime[s] ?? 0)];
  });
  return a > 0 ? t / a : 1;
}

export default async function fidelityBench(argv: string[]): Promise<object> {
  const o = parseArgs(argv);
  const { rates, counts } = workload(o);
  const planned = counts.reduce((a, b) => a + b, 0);
  console.log(`workload: ${o.window} seconds [${o.fromS}, ${o.fromS + o.seconds}) × ${o.scale}: ${Math.min(...rates)}–${Math.max(...rates)} rps, ${planned} requests planned (load generator seed ${LOADGEN_SEED})`);
  let liveDir = o.liveDir;
  if (!liveDir) {
    console.log(`live: fulcrum up --pipeline fashion --policy ${o.policy} --max-cores ${o.maxCores} --interval ${o.intervalMs}, ${o.seconds} s of load`);
    liveDir = await runLive(o, rates);
  }
  const live = liveFigures(liveDir, o.seconds);
  // Every cold start the run measured, the bootstrap replica's (before the load) included.
  const coldStartMs = o.coldStartMs ?? median(live.coldStartMsAll) ?? DEFAULT_COLD_START_MS;
  const r = await runSim(o, counts, coldStartMs);
  const sim = {
    arrivals: r.counts.arrivals, inTime: r.counts.inTime, late: r.counts.late, dropped: r.counts.dropped, rejected: r.counts.rejected, unavailable: r.counts.unavailable,
    attainment: r.attainment, meanCores: r.meanCores, meanDecidedCores: r.meanDecidedCores, p99LatencyMs: r.p99LatencyMs, coldStarts: r.coldStarts,
    inPlaceSwitches: r.inPlaceSwitches, decisions: r.decisions, meanAccuracyPct: r.meanAccuracy, servedAccuracyPct: r.servedAccuracy,
  };
  const attainmentDiffPp = 100 * (live.attainment - sim.attainment);
  const meanCoresDiffFraction = sim.meanCores > 0 ? (live.meanCores - sim.meanCores) / sim.meanCores : Number.NaN;
  const within = { attainment: Math.abs(attainmentDiffPp) <= TARGETS.attainmentPp, meanCores: Math.abs(meanCoresDiffFraction) <= TARGETS.meanCoresFraction };
  console.log(`attainmentDiffPp (live − sim): ${attainmentDiffPp >= 0 ? "+" : ""}${attainmentDiffPp.toFixed(2)} pp (target |·| ≤ ${TARGETS.attainmentPp}: ${within.attainment ? "met" : "MISSED"})`);
  console.log(`meanCoresDiffFraction (live − sim)/sim: ${meanCoresDiffFraction >= 0 ? "+" : ""}${(100 * meanCoresDiffFraction).toFixed(1)} % (target |·| ≤ ${100 * TARGETS.meanCoresFraction} %: ${within.meanCores ? "met" : "MISSED"})`);
  console.log(`live: sent ${live.sent} = in time ${live.inTime} + late ${live.late} + rejected ${live.rejected} + failed ${live.failed} (not sent ${live.notSent}); attainment ${pct(live.attainment)}, mean cores ${live.meanCores.toFixed(3)}, p99 ${live.p99LatencyMs.toFixed(1)} ms, cold starts ${live.coldStarts} (${live.coldStartMsAll.map((x) => `${(x / 1000).toFixed(1)} s`).join(", ")}), variants ${JSON.stringify(live.variants)}`);
  console.log(`sim:  arrivals ${sim.arrivals} = in time ${sim.inTime} + late ${sim.late} + dropped ${sim.dropped} + rejected ${sim.rejected} + unavailable ${sim.unavailable}; attainment ${pct(sim.attainment)}, mean cores ${sim.meanCores.toFixed(3)} (decided ${sim.meanDecidedCores.toFixed(3)}), p99 ${sim.p99LatencyMs.toFixed(1)} ms, cold starts ${sim.coldStarts}, in-place switches ${sim.inPlaceSwitches}, decisions ${sim.decisions.total}`);
  // Where the gap is: the light seconds (the policy's replica is nearly idle) against the heavy ones.
  const cut = (Math.min(...rates) + Math.max(...rates)) / 2;
  const byLoad = {
    cutRps: cut,
    live: { light: attainmentWhere(live.inTimeBySecond, counts, (k) => rates[k]! <= cut), heavy: attainmentWhere(live.inTimeBySecond, counts, (k) => rates[k]! > cut) },
    sim: { light: attainmentWhere(r.series.inTime, counts, (k) => rates[k]! <= cut), heavy: attainmentWhere(r.series.inTime, counts, (k) => rates[k]! > cut) },
  };
  console.log(`attainment by load (seconds ≤ ${cut} rps | above): live ${pct(byLoad.live.light)} | ${pct(byLoad.live.heavy)}; sim ${pct(byLoad.sim.light)} | ${pct(byLoad.sim.heavy)}`);
  return {
    attainmentDiffPp,
    meanCoresDiffFraction,
    targets: TARGETS,
    withinTargets: within,
    settings: {
      pipeline: "fashion", policy: o.policy, sloMs: FASHION.sloMs, intervalMs: o.intervalMs, maxCores: o.maxCores, seed: o.seed, loadgenSeed: LOADGEN_SEED,
      window: o.window, fromS: o.fromS, seconds: o.seconds, scale: o.scale, plannedRequests: planned,
      simReplicaStartMs: coldStartMs, simInPlaceChangeMs: IN_PLACE_CHANGE_MS, liveRunDir: liveDir, reusedLiveRun: o.liveDir !== undefined,
    },
    attainmentByLoad: byLoad,
    live,
    sim,
    series: { ratesRps: rates, countsPerSecond: counts, liveInTime: live.inTimeBySecond, simInTime: r.series.inTime, simCores: r.series.cores, simForecastRps: r.series.forecastRps },
  };
}
