/**
 * `npm run bench -- <name> [args…]`: runs `scripts/bench/<name>.ts`, whose default export is
 * `(args: string[]) => Promise<object>`, and writes the returned object to
 * `bench/results/<name>.json` with the run's provenance (`machine`: CPU, cores, memory, Node, load
 * average at start and end; `git`: commit and whether the tree was dirty). Each benchmark prints its
 * own one-line-per-result summary.
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describeRun, gitInfo, loadAverageNow, machineInfo } from "./bench/_run-info.ts";

const dir = fileURLToPath(new URL("./bench/", import.meta.url));
const available = readdirSync(dir)
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !f.startsWith("_"))
  .map((f) => f.slice(0, -3))
  .sort();
const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <${available.join("|")}> [args…]${name ? `\nunknown benchmark "${name}"` : ""}`);
  process.exit(2);
}
const mod = (await import(`./bench/${name}.ts`)) as { default: (args: string[]) => Promise<object> };
const startedAt = new Date().toISOString();
const machine = machineInfo();
const git = gitInfo(fileURLToPath(new URL("..", import.meta.url)));
console.log(describeRun(machine, git));
const result = await mod.default(args);
const loadAverageEnd = loadAverageNow();
const out = fileURLToPath(new URL(`../bench/results/${name}.json`, import.meta.url));
mkdirSync(fileURLToPath(new URL("../bench/results/", import.meta.url)), { recursive: true });
writeFileSync(out, `${JSON.stringify({ benchmark: name, startedAt, finishedAt: new Date().toISOString(), machine: { ...machine, loadAverageEnd }, git, ...result }, null, 2)}\n`);
console.log(`wrote ${out}`);
process.exit(0);
