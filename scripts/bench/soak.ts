/**
 * `npm run bench -- soak [--duration-s 600] [--rate 20] [--warmup-s 120] [--sample-s 5] [--replicas 2]`:
 * the whole system at a steady rate for a long time, watching every process's memory.
 *
 * Runs `fulcrum up` (private nats-server, `--replicas` fixed stage replicas, monitor, predictor,
 * optimizer, gateway and its load generator at `--rate` for `--duration-s`) and samples the
 * resident set size (RSS, `/proc/<pid>/status` VmRSS) of every process it started, every
 * `--sample-s` seconds. Time counts from the load generator's start (services start before it).
 * After `--warmup-s` of load, every service's RSS should stay flat: `rssGrowthMaxFraction`
 * is, over all processes, the largest (highest RSS after warm-up − its level at the end of warm-up)
 * ÷ that level (target ≤ 0.15; the level is the median of the first three samples after warm-up).
 * Beside it, `rssTrendMaxFraction`: the largest (median of the last third of the samples after
 * warm-up ÷ median of the first third − 1), which tells a climb (a leak) from a GC sawtooth whose
 * peak alone can cross the target; each process's samples are in `processes[].rssMiBSeries`.
 *
 * Why the warm-up is 120 s: the Node services hand their start-up memory back in steps during the
 * first 40–100 s of load (a 150-s run sampled every second: the monitor 126 → 109 MiB at 40 s and
 * → 93 at 73 s, the optimizer 140 → 93 MiB at 97 s, the predictor 156 → 142 MiB at 48 s and
 * → 124 at 98 s; a 600-s run: the predictor 198 → 168 MiB at 60 s and → 148 at 85 s). With 60 s,
 * the first samples after warm-up could sit on those start-up peaks and set the level, so a release
 * read as "growth" or hid a climb. The figure at 60 s is still computed from the same samples
 * (`rssGrowthMaxFractionByWarmupS`), so runs before and after the change can be compared.
 * `ledgerExact`: the load generator's ledger (`planned = sent + not-sent`,
 * `sent = in-time + late + rejected-with-reason + failed`) held exactly. The 10-minute run is the
 * one that counts; a short `--duration-s` checks that the benchmark works.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RunSummary } from "@fulcrum/core/accounting";
import { freePort } from "@fulcrum/runtime";

const repo = fileURLToPath(new URL("../../", import.meta.url));

interface Options {
  durationS: number;
  rate: number;
  warmupS: number;
  sampleS: number;
  replicas: number;
}

function parseOptions(args: string[]): Options {
  const o: Options = { durationS: 600, rate: 20, warmupS: 120, sampleS: 5, replicas: 2 };
  const keys: Record<string, keyof Options> = { "--duration-s": "durationS", "--rate": "rate", "--warmup-s": "warmupS", "--sample-s": "sampleS", "--replicas": "replicas" };
  for (let i = 0; i < args.length; i += 2) {
    const key = keys[args[i]!];
    const n = Number(args[i + 1]);
    if (!key || !(n > 0)) throw new Error(`soak: "${args[i]} ${args[i + 1] ?? ""}" is not one of ${Object.keys(keys).join(", ")} with a positive number`);
    o[key] = n;
  }
  if (o.warmupS >= o.durationS) throw new Error(`soak: --warmup-s (${o.warmupS}) must be shorter than --duration-s (${o.durationS})`);
  return o;
}

/** Every live descendant of `root` (children, their children, …) with its parent, from /proc. */
function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      // Field 4 of /proc/<pid>/stat is the parent pid; the command (field 2) may hold spaces, so split after its ')'.
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      parentOf.set(Number(e), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // Gone between readdir and read.
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const [child, parent] of parentOf) {
      if (parent !== p) continue;
      out.push(child);
      walk(child);
    }
  };
  walk(root);
  return out;
}

/** A process's name for the report: the service it runs (and the stage instance), or its program. */
function nameOf(pid: number): string | undefined {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    // A service runs from its sources or, when the build is current, from its compiled entry.
    const entry = cmd.find((a) => /services\/[a-z]+\/(src\/main\.ts|dist\/main\.js)$/.test(a));
    if (!entry) return cmd[0]?.endsWith("nats-server") ? "nats-server" : undefined;
    const service = /services\/([a-z]+)\//.exec(entry)![1]!;
    if (service !== "stage") return service;
    const instance = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").find((v) => v.startsWith("FULCRUM_STAGE_INSTANCE="));
    return `stage ${instance?.split("=")[1] ?? pid}`;
  } catch {
    return undefined;
  }
}

function rssKiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/**
 * One process's growth after warm-up, from its samples while the load ran (`s`: seconds on the
 * sampling clock; samples before `fromS` are the warm-up). Growth = (highest RSS after warm-up −
 * level) ÷ level, the level being the median of the first three samples after warm-up; trend =
 * median of the last third ÷ median of the first third − 1 (near 0 for a GC sawtooth however tall,
 * above 0 for a climb). NaN where there are too few samples.
 */
function rssGrowth(xs: ReadonlyArray<{ s: number; kib: number }>, fromS: number) {
  const after = xs.filter((x) => x.s >= fromS);
  const level = after.length >= 3 ? median(after.slice(0, 3).map((x) => x.kib)) : Number.NaN;
  const peak = after.length > 0 ? Math.max(...after.map((x) => x.kib)) : Number.NaN;
  const third = Math.floor(after.length / 3);
  return {
    samplesAfterWarmup: after.length,
    rssAtWarmupEndMiB: level / 1024,
    rssPeakAfterWarmupMiB: peak / 1024,
    rssLastMiB: (after.at(-1)?.kib ?? Number.NaN) / 1024,
    growthFraction: (peak - level) / level,
    trendFraction: after.length >= 6 ? median(after.slice(-third).map((x) => x.kib)) / median(after.slice(0, third).map((x) => x.kib)) - 1 : Number.NaN,
  };
}

export default async function soakBench(args: string[]): Promise<object> {
  const o = parseOptions(args);
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-bench-soak-"));
  const loadStart = loadavg();
  const summaryFile = join(dir, "summary.json");
  // A NATS URL nobody answers: `fulcrum up` then runs its own private nats-server.
  const natsUrl = `nats://127.0.0.1:${await freePort()}`;
  const up = spawn(
    process.execPath,
    [
      "--conditions=@fulcrum/source",
      "--import",
      "tsx",
      "packages/cli/src/bin.ts",
      "up",
      "--replicas",
      String(o.replicas),
      // The launcher outlives the load (its load generator takes a few seconds to start).
      "--duration",
      String(o.durationS + 60),
      "--loadgen-duration",
      String(o.durationS),
      "--rate",
      String(o.rate),
      "--name",
      `soak-${process.pid}`,
      "--status-every",
      "30",
      "--run-dir",
      join(dir, "run"),
      "--summary-file",
      summaryFile,
    ],
    { cwd: repo, env: { ...process.env, NATS_URL: natsUrl, LOG_LEVEL: "warn", OTEL_TRACES_EXPORTER: "none" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const log: string[] = [];
  const onLine = (d: Buffer): void => {
    for (const line of d.toString("utf8").split("\n").filter(Boolean)) {
      log.push(line);
      if (/^\[|^final|^loadgen|^stopp|^fulcrum up:/.test(line)) console.log(`  up: ${line}`);
    }
  };
  up.stdout.on("data", onLine);
  up.stderr.on("data", onLine);
  const exited = new Promise<number | null>((r) => up.once("exit", (c) => r(c)));

  const t0 = Date.now();
  const series = new Map<string, Array<{ s: number; kib: number; pid: number }>>();
  // The load's window on the sampling clock: from the first to the last sample that saw the load generator.
  let loadFromS: number | undefined;
  let loadToS: number | undefined;
  let running = true;
  void exited.then(() => (running = false));
  while (running) {
    const s = (Date.now() - t0) / 1000;
    const pids = [up.pid!, ...descendants(up.pid!)];
    for (const pid of pids) {
      const name = pid === up.pid ? "launcher (fulcrum up)" : nameOf(pid);
      const kib = rssKiB(pid);
      if (name === undefined || kib === undefined) continue;
      if (name === "loadgen") {
        loadFromS ??= s;
        loadToS = s;
      }
      let xs = series.get(name);
      if (!xs) series.set(name, (xs = []));
      xs.push({ s, kib, pid });
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, o.sampleS * 1000))]);
  }
  const code = await exited;
  const loadEnd = loadavg();
  if (!existsSync(summaryFile)) throw new Error(`fulcrum up exited ${code} without a summary; its output:\n${log.slice(-20).join("\n")}`);
  const upSummary = JSON.parse(readFileSync(summaryFile, "utf8")) as { exitCode: number; loadgen?: RunSummary; restarts: unknown[] };
  const ledger = upSummary.loadgen;

  if (loadFromS === undefined || loadToS === undefined) throw new Error(`the load generator never ran; fulcrum up's output:\n${log.slice(-20).join("\n")}`);
  // Each process's samples while the load ran (not the start-up, not the shutdown).
  const during = [...series].map(([name, xs]) => ({ name, xs, load: xs.filter((x) => x.s >= loadFromS && x.s <= loadToS) }));
  // The largest finite value; NaN when there is none (a short check run: too few samples), not -Infinity.
  const maxFinite = (xs: number[]): number => (xs.some(Number.isFinite) ? Math.max(...xs.filter(Number.isFinite)) : Number.NaN);
  const growthMaxAfter = (warmupS: number): number => maxFinite(during.map((p) => rssGrowth(p.load, loadFromS + warmupS).growthFraction));
  const processes = during.map(({ name, xs, load }) => ({
    name,
    pids: [...new Set(xs.map((x) => x.pid))],
    ...rssGrowth(load, loadFromS + o.warmupS),
    // Every sample while the load ran, warm-up included, on the load's clock (s since it started).
    rssMiBSeriesFromLoadStart: load.map((x) => [Math.round(x.s - loadFromS), Math.round(x.kib / 102.4) / 10]),
  }));
  const measured = processes.filter((p) => Number.isFinite(p.growthFraction));
  const byWarmupS = Object.fromEntries([...new Set([60, o.warmupS])].filter((w) => w < o.durationS).map((w) => [String(w), growthMaxAfter(w)]));
  const result = {
    rssGrowthMaxFraction: maxFinite(processes.map((p) => p.growthFraction)),
    rssGrowthMaxFractionByWarmupS: byWarmupS,
    rssTrendMaxFraction: maxFinite(processes.map((p) => p.trendFraction)),
    ledgerExact: ledger?.ledgerExact === true,
  };
  for (const p of processes) {
    console.log(
      `  ${p.name.padEnd(24)} RSS ${p.rssAtWarmupEndMiB.toFixed(1)} MiB after warm-up, peak ${p.rssPeakAfterWarmupMiB.toFixed(1)} MiB, last ${p.rssLastMiB.toFixed(1)} MiB: growth ${(100 * p.growthFraction).toFixed(1)}%, trend ${(100 * p.trendFraction).toFixed(1)}% (${p.samplesAfterWarmup} samples${p.pids.length > 1 ? `, ${p.pids.length} pids: restarted` : ""})`,
    );
  }
  console.log(
    `soak ${o.durationS} s at ${o.rate} rps (load sampled for ${(loadToS - loadFromS).toFixed(0)} s): rssGrowthMaxFraction ${result.rssGrowthMaxFraction.toFixed(3)} (target ≤ 0.15, after ${o.warmupS} s warm-up; ${Object.entries(byWarmupS).map(([w, g]) => `${g.toFixed(3)} after ${w} s`).join(", ")}; trend max ${result.rssTrendMaxFraction.toFixed(3)}), ledgerExact ${result.ledgerExact}; ` +
      `fulcrum up exit ${code}, restarts ${upSummary.restarts.length}; load average ${loadStart.map((x) => x.toFixed(1)).join(" ")} → ${loadEnd.map((x) => x.toFixed(1)).join(" ")}`,
  );
  if (code === 0 && measured.length > 0) rmSync(dir, { recursive: true, force: true });
  else console.error(`soak: logs kept in ${dir}`);
  return { ...result, options: o, upExitCode: code, restarts: upSummary.restarts, loadgen: ledger, processes, loadAverage: { start: loadStart, end: loadEnd } };
}
