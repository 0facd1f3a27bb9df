/**
 * `npm run bench -- <name> [args…]`: runs `scripts/bench/<name>.ts`, whose default export is
 * `(args: string[]) => Promise<object>`, and writes the returned object to
 * `bench/results/<name>.json`. Each benchmark prints its own one-line-per-result summary.
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

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
const result = await mod.default(args);
const out = fileURLToPath(new URL(`../bench/results/${name}.json`, import.meta.url));
mkdirSync(fileURLToPath(new URL("../bench/results/", import.meta.url)), { recursive: true });
writeFileSync(out, `${JSON.stringify({ benchmark: name, startedAt, ...result }, null, 2)}\n`);
console.log(`wrote ${out}`);
process.exit(0);
