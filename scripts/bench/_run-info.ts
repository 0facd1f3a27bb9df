/**
 * Where and on what a benchmark ran, recorded in every `bench/results/*.json` so that figures can be
 * compared across runs: the machine (CPU, cores, memory, Node, load average at start and end) and
 * the git commit with whether the working tree had uncommitted changes.
 */
import { execFileSync } from "node:child_process";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";

/** The machine, read once at the start of a run. */
export interface MachineInfo {
  readonly cpuModel: string;
  /** Logical CPUs this process may use (`os.availableParallelism()`). */
  readonly cores: number;
  readonly totalMemoryBytes: number;
  /** `process.version`, e.g. `v20.19.0`. */
  readonly node: string;
  readonly platform: string;
  readonly arch: string;
  /** 1, 5 and 15 minute load averages when the run started. */
  readonly loadAverageStart: readonly [number, number, number];
}

/** The code that ran. */
export type GitInfo =
  | { readonly commit: string; readonly dirty: boolean; readonly dirtyFiles: readonly string[] }
  /** Not a git checkout, or git missing: the reason instead of a guess. */
  | { readonly commit: null; readonly error: string };

const loadAverage = (): [number, number, number] => {
  const [a = 0, b = 0, c = 0] = loadavg();
  return [a, b, c];
};

export function machineInfo(): MachineInfo {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    cores: availableParallelism(),
    totalMemoryBytes: totalmem(),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    loadAverageStart: loadAverage(),
  };
}

/** The 1, 5 and 15 minute load averages now (recorded again when the run ends). */
export function loadAverageNow(): [number, number, number] {
  return loadAverage();
}

/** HEAD's commit and the uncommitted paths (`git status --porcelain`) of the checkout at `cwd`. */
export function gitInfo(cwd: string): GitInfo {
  const git = (...args: string[]): string => execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  try {
    const commit = git("rev-parse", "HEAD").trim();
    const dirtyFiles = git("status", "--porcelain").split("\n").filter((l) => l.trim() !== "").map((l) => l.slice(3));
    return { commit, dirty: dirtyFiles.length > 0, dirtyFiles };
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    return { commit: null, error: stderr || (err as Error).message };
  }
}

/** One line for the console: machine, load at start, commit. */
export function describeRun(machine: MachineInfo, git: GitInfo): string {
  const code = git.commit === null ? `no commit (${git.error})` : `commit ${git.commit}${git.dirty ? ` + ${git.dirtyFiles.length} uncommitted files` : ""}`;
  return `${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}, load average ${machine.loadAverageStart.map((x) => x.toFixed(2)).join(" ")}; ${code}`;
}
