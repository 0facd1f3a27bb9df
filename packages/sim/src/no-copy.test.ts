import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { EdfBatcher } from "@fulcrum/core/batching";
import { describe, expect, it } from "vitest";

// The acceptance: the simulator runs the core modules themselves. These tests fail if a copy of
// core code (or of a core definition) appears in the simulator, or if it stops importing core.

const SIM_SRC = fileURLToPath(new URL(".", import.meta.url));
const CORE_SRC = fileURLToPath(new URL("../../core/src/", import.meta.url));

function sources(dir: string, keep: (file: string) => boolean = () => true): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p, keep);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") && keep(p) ? [p] : [];
  });
}

const sim = sources(SIM_SRC, (p) => !relative(SIM_SRC, p).startsWith("testing/"));
const core = sources(CORE_SRC);
const text = (f: string): string => readFileSync(f, "utf8");

/** Lines that carry code: trimmed, without comments, blank lines and lone punctuation. */
function codeLines(src: string): string[] {
  return src
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .split("\n")
    .map((l) => l.replace(/\/\/.*$/, "").trim())
    .filter((l) => l.length > 0 && !/^[{}()[\];,]+$/.test(l) && !l.startsWith("import ") && !l.startsWith("export {") && !l.startsWith("export type {"));
}

describe("the simulator runs core's code, not a copy of it", () => {
  it("imports the core modules it simulates with", () => {
    const imports = new Set(sim.flatMap((f) => [...text(f).matchAll(/from "(@fulcrum\/core[^"]*)"/g)].map((m) => m[1]!)));
    const modules = ["batching", "policies", "forecast", "perf", "workload", "stats", "rng", "routing", "accounting", "control", "deadline", "reconcile"];
    for (const m of modules.map((n) => `@fulcrum/core/${n}`)) {
      expect(imports, `no simulator file imports ${m}`).toContain(m);
    }
    // And calls the pieces that make the decisions, not just their types.
    const calls: Array<[string, RegExp]> = [
      ["replica.ts", /new EdfBatcher</],
      ["control-loop.ts", /POLICIES\[/],
      ["control-loop.ts", /predictorStep\(/],
      ["control-loop.ts", /buildPolicyInput\(/],
      ["router.ts", /new Router\(/],
      ["ledger.ts", /answeredFate\(/],
      ["engine.ts", /requestDeadline\(/],
      ["engine.ts", /planReconcile\(/],
      ["engine.ts", /desiredSlots\(/],
    ];
    for (const [file, call] of calls) expect(text(join(SIM_SRC, file)), `${file} no longer calls ${call.source}`).toMatch(call);
  });

  it("defines nothing core defines (no class, function or constant of the same name)", () => {
    const coreNames = new Set(core.flatMap((f) => [...text(f).matchAll(/^export (?:abstract )?(?:class|function|const|async function) (\w+)/gm)].map((m) => m[1]!)));
    const clashes = sim.flatMap((f) =>
      [...text(f).matchAll(/^(?:export )?(?:abstract )?(?:class|function|const|async function) (\w+)/gm)].flatMap((m) => (coreNames.has(m[1]!) ? [`${relative(SIM_SRC, f)}: ${m[1]}`] : [])),
    );
    expect(clashes).toEqual([]);
  });

  it("shares no run of 6 code lines with core", () => {
    const W = 6;
    const windows = new Map<string, string>();
    for (const f of core) {
      const lines = codeLines(text(f));
      for (let i = 0; i + W <= lines.length; i++) windows.set(lines.slice(i, i + W).join("\n"), `${relative(CORE_SRC, f)} (code line ${i + 1})`);
    }
    const copies: string[] = [];
    for (const f of sim) {
      const lines = codeLines(text(f));
      for (let i = 0; i + W <= lines.length; i++) {
        const hit = windows.get(lines.slice(i, i + W).join("\n"));
        if (hit) copies.push(`${relative(SIM_SRC, f)} (code line ${i + 1}) copies core/${hit}`);
      }
    }
    expect(copies).toEqual([]);
  });

  it("runs the very batcher class core exports", async () => {
    const { Replica } = await import("./replica.js");
    const { EventQueue } = await import("./event-queue.js");
    const { perfServiceTime } = await import("./service-time.js");
    const { createPerfModel } = await import("@fulcrum/core/perf");
    const { createRng } = await import("@fulcrum/core/rng");
    const perf = createPerfModel({ m: { fit: { gammaMs: 0, deltaMs: 1, epsilonMs: 0, etaMs: 1 } } });
    const hooks = { served: () => {}, dropped: () => {}, changed: () => {}, coresCharged: () => {} };
    const r = new Replica(0, 0, ["m"], 0, 1, 1, 1, perfServiceTime({ median: perf }), { maxQueueDelayMs: 0, maxQueueSize: 4, safetyMarginMs: 0, maxBatch: 1 }, new EventQueue(), hooks, createRng(1));
    expect((r as unknown as { batcher: unknown }).batcher).toBeInstanceOf(EdfBatcher);
  });
});

describe("the simulator's core is pure", () => {
  it("only src/node/ touches files, processes, clocks or Math.random", () => {
    const impure = sim
      .filter((f) => !relative(SIM_SRC, f).startsWith("node/"))
      .flatMap((f) => {
        // Code only: a comment may name what the code must not touch.
        const src = text(f).replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
        const bad = [
          ...[...src.matchAll(/from "((?:node:)?(?:fs|child_process|worker_threads|net|process)[^"]*|@fulcrum\/runtime|@fulcrum\/solver)"/g)].map((m) => `imports ${m[1]}`),
          ...(/\bprocess\./.test(src) ? ["uses process"] : []),
          ...(/Date\.now\(|performance\.now\(|Math\.random\(/.test(src) ? ["reads a clock or Math.random"] : []),
        ];
        return bad.map((b) => `${relative(SIM_SRC, f)} ${b}`);
      });
    expect(impure).toEqual([]);
  });
});
