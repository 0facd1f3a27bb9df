/**
 * `npm run bench -- sim [--e2-policies a,b] [--skip-e4 | --e4-patterns x25,x50]`: the simulator's speed.
 * - E2 (IPA video, all policies × IPA's four patterns, paper profiles) run in a child process
 *   pinned to CPU 0 (one core, the HiGHS worker included), after a warm-up pass of the four
 *   IPA-family policies over the four patterns (discarded, so the JIT has compiled the hot path):
 *   `simulatedRequestsPerSecond` is the data
 *   plane's speed, requests ÷ wall time outside the control steps (predictor and policy, solver
 *   included), which are reported beside it; `endToEndRequestsPerSecond` includes them.
 * - E4 (the ten-stage pipeline at Twitter ×25, ×50, ×100): per load level, the control step's wall
 *   time (mean, p50, p99, max), the data plane's speed, cores and cost per 1,000 requests.
 *   `--e4-patterns` runs only the named load levels (the output and the result say so), to bound
 *   the bench's time: ×100 alone takes minutes.
 * Timings on a shared machine are noisy: the 1-minute load average is recorded before and after.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const tsNode = [process.execPath, "--conditions=@fulcrum/source", "--import", "tsx"];

interface ChildArgs {
  readonly experiment: string;
  readonly policies?: string[];
  /** Only these patterns (load levels). @default all */
  readonly patterns?: string[];
  /** Policies run once first and discarded, so the measured run is not the JIT's first pass. */
  readonly warmupPolicies?: string[];
}

/** What one child run measured, per run (`<pattern>/<policy>`) and in total. */
interface ChildResult {
  readonly cpuMs: number;
  readonly loadAverage: { readonly before: number; readonly after: number };
  readonly total: Record<string, number>;
  readonly runs: Record<string, Record<string, number>>;
}

const pct = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
};

async function child(args: ChildArgs): Promise<ChildResult> {
  const { runExperiment } = await import("@fulcrum/sim");
  const { loadExperiment, loadExperimentData } = await import("@fulcrum/sim/node");
  const { createHighsSolver } = await import("@fulcrum/solver");
  const spec = loadExperiment(args.experiment);
  const data = loadExperimentData(spec);
  const solver = createHighsSolver();
  if (args.warmupPolicies) await runExperiment(spec, data, { solver }, { policies: args.warmupPolicies });
  const before = loadavg()[0]!;
  const c0 = process.cpuUsage();
  const cpuClock = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const out = await runExperiment(spec, data, { solver, wallClock: () => performance.now(), cpuClock }, { ...(args.policies ? { policies: args.policies } : {}), ...(args.patterns ? { patterns: args.patterns } : {}) });
  const cpu = process.cpuUsage(c0);
  await solver.close();
  const runs: ChildResult["runs"] = {};
  for (const r of out.timeseries.runs) {
    const key = `${r.pattern}/${r.policy}`;
    const cost = out.summary.cost!.runs[key]!;
    const s = (out.summary.patterns?.[r.pattern]?.policies ?? out.summary.policies)[r.policy]!;
    const walls = r.decisions.map((d) => d.wallMs);
    runs[key] = {
      ...cost,
      decisionWallP50Ms: pct(walls, 0.5), decisionWallP99Ms: pct(walls, 0.99),
      meanCores: s.meanCores, attainment: s.attainment, coreSecondsPer1000Requests: s.coreSecondsPer1000Requests,
    };
  }
  return { cpuMs: (cpu.user + cpu.system) / 1000, loadAverage: { before, after: loadavg()[0]! }, total: { ...out.summary.cost!.total }, runs };
}

async function inChild(args: ChildArgs): Promise<ChildResult> {
  const pin = existsSync("/usr/bin/taskset") ? ["/usr/bin/taskset", "-c", "0"] : [];
  const cmd = [...pin, ...tsNode, "scripts/bench/sim.ts"];
  const { stdout } = await promisify(execFile)(cmd[0]!, cmd.slice(1), {
    cwd: repo, env: { ...process.env, FULCRUM_SIM_BENCH_CHILD: JSON.stringify(args) }, maxBuffer: 64 * 1024 * 1024, timeout: 4 * 3600 * 1000,
  });
  return JSON.parse(stdout.trim().split("\n").pop()!) as ChildResult;
}

const fmt = (x: number): string => Math.round(x).toLocaleString("en-US");

export default async function simBench(argv: string[]): Promise<object> {
  const at = argv.indexOf("--e2-policies");
  const e2Policies = at >= 0 ? argv[at + 1]!.split(",") : undefined;
  const pinned = existsSync("/usr/bin/taskset");
  const e2 = await inChild({ experiment: "e2-ipa-video", warmupPolicies: ["ipa", "fa2-low", "fa2-high", "rim"], ...(e2Policies ? { policies: e2Policies } : {}) });
  const t = e2.total;
  const simulatedRequestsPerSecond = t.engineRequestsPerSecond!;
  console.log(`simulatedRequestsPerSecond (E2 data plane${pinned ? ", pinned to CPU 0" : ""}): ${fmt(simulatedRequestsPerSecond)} (${fmt(t.requests!)} requests, ${fmt(t.stageVisits!)} stage visits, ${(t.engineWallMs! / 1000).toFixed(2)} s outside control steps)`);
  console.log(`endToEndRequestsPerSecond (E2, control steps included): ${fmt(t.requestsPerSecond!)} (${(t.wallMs! / 1000).toFixed(1)} s wall, of which control steps ${(t.decisionWallMs! / 1000).toFixed(1)} s: ${t.decisions} steps, mean ${t.decisionWallMeanMs!.toFixed(1)} ms)`);
  console.log(`simulatedRequestsPerCpuSecond (E2 data plane, process CPU outside control steps): ${fmt(t.engineRequestsPerCpuSecond!)} (${(t.engineCpuMs! / 1000).toFixed(2)} CPU s)`);
  console.log(`E2 CPU time ${(e2.cpuMs / 1000).toFixed(1)} s (process, all threads); load average ${e2.loadAverage.before.toFixed(1)} → ${e2.loadAverage.after.toFixed(1)}`);
  const byPolicy: Record<string, { requests: number; engineWallMs: number; engineCpuMs: number; decisionWallMs: number; decisions: number }> = {};
  for (const [k, r] of Object.entries(e2.runs)) {
    const p = (byPolicy[k.split("/")[1]!] ??= { requests: 0, engineWallMs: 0, engineCpuMs: 0, decisionWallMs: 0, decisions: 0 });
    p.requests += r.requests!;
    p.engineWallMs += r.engineWallMs!;
    p.engineCpuMs += r.engineCpuMs!;
    p.decisionWallMs += r.decisionWallMs!;
    p.decisions += r.decisions!;
  }
  for (const [p, x] of Object.entries(byPolicy)) {
    console.log(`  E2 ${p}: data plane ${fmt((x.requests / x.engineWallMs) * 1000)} requests/s (${fmt((x.requests / x.engineCpuMs) * 1000)} per CPU s); control step mean ${(x.decisionWallMs / x.decisions).toFixed(2)} ms over ${x.decisions}`);
  }
  const e4At = argv.indexOf("--e4-patterns");
  const e4Patterns = e4At >= 0 ? argv[e4At + 1]!.split(",") : undefined;
  let e4: ChildResult | undefined;
  if (!argv.includes("--skip-e4")) {
    if (e4Patterns) console.log(`E4 bounded by --e4-patterns: only ${e4Patterns.join(", ")} (the other load levels were not run)`);
    e4 = await inChild({ experiment: "e4-scale", ...(e4Patterns ? { patterns: e4Patterns } : {}) });
    for (const [k, r] of Object.entries(e4.runs)) {
      console.log(
        `E4 ${k}: ${fmt(r.requests!)} requests, mean cores ${r.meanCores!.toFixed(0)}, ${r.coreSecondsPer1000Requests!.toFixed(2)} core·s per 1,000 requests, attainment ${(100 * r.attainment!).toFixed(2)} %; ` +
          `control step mean ${r.decisionWallMeanMs!.toFixed(0)} ms, p50 ${r.decisionWallP50Ms!.toFixed(0)} ms, p99 ${r.decisionWallP99Ms!.toFixed(0)} ms, max ${r.decisionWallMaxMs!.toFixed(0)} ms; data plane ${fmt(r.engineRequestsPerSecond!)} requests/s (${fmt((r.stageVisits! / r.engineWallMs!) * 1000)} stage visits/s; ${fmt(r.engineRequestsPerCpuSecond!)} requests per CPU s)`,
      );
    }
  }
  return {
    pinnedToCpu0: pinned,
    simulatedRequestsPerSecond,
    simulatedRequestsPerSecondTarget: 500_000,
    simulatedRequestsPerCpuSecond: t.engineRequestsPerCpuSecond,
    endToEndRequestsPerSecond: t.requestsPerSecond,
    e2: { ...e2, byPolicy },
    ...(e4 ? { e4: { ...e4, patterns: e4Patterns ?? "all" } } : { e4: "skipped (--skip-e4)" }),
  };
}

const childArgs = process.env.FULCRUM_SIM_BENCH_CHILD;
if (childArgs) {
  const result = await child(JSON.parse(childArgs) as ChildArgs);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}
