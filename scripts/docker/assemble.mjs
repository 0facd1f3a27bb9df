#!/usr/bin/env node
// Copies what Fulcrum's services run from a built, dev-pruned checkout into a fresh directory, the
// runtime image's /app (see the Dockerfile):
//   package.json + dist/ of every workspace, the root package.json, node_modules (workspace links
//   kept as links), the committed model families (packages/zoo/models), the predictor's LSTM
//   (services/predictor/models), the optimizer's example specs and the measured profiles. (The
//   Dockerfile adds the entry point and health check of scripts/docker itself.)
// Left out: TypeScript sources, tests, generated test models (.fulcrum/), bench results, data/, and
// onnxruntime-node's libraries for other platforms (≈ 245 MB of macOS, Windows and other-arch builds).
// Usage: node scripts/docker/assemble.mjs <built checkout> <empty target dir>
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";

const [from, to] = process.argv.slice(2);
if (!from || !to) {
  console.error("usage: node scripts/docker/assemble.mjs <built checkout> <target dir>");
  process.exit(64);
}
if (existsSync(to) && readdirSync(to).length > 0) {
  console.error(`assemble: target ${to} is not empty`);
  process.exit(1);
}

/** Runtime files beyond package.json and dist/, per workspace folder. */
const ASSETS = {
  "packages/zoo": ["models"],
  "services/predictor": ["models"],
  "services/optimizer": ["examples"],
};
const ROOT_FILES = ["package.json", "profiles"];

const ortBin = join(from, "node_modules", "onnxruntime-node", "bin");
/** onnxruntime-node ships every platform's build; keep this one's (linux/<arch>). */
function keepOrt(path) {
  const rel = relative(ortBin, path);
  if (rel.startsWith("..") || rel === "") return true;
  const [, platform, arch] = rel.split(sep); // napi-vN/<platform>/<arch>/…
  if (platform === undefined) return true;
  if (platform !== process.platform) return false;
  return arch === undefined || arch === process.arch;
}

function copy(rel, filter = () => true) {
  const src = join(from, rel);
  if (!existsSync(src)) throw new Error(`assemble: ${src} is missing (was the checkout built?)`);
  cpSync(src, join(to, rel), { recursive: true, verbatimSymlinks: true, filter });
}

function workspaceDirs() {
  const { workspaces } = JSON.parse(readFileSync(join(from, "package.json"), "utf8"));
  return workspaces.flatMap((pattern) => {
    if (!pattern.endsWith("/*")) return [pattern];
    const parent = pattern.slice(0, -2);
    return readdirSync(join(from, parent), { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(join(from, parent, e.name, "package.json")))
      .map((e) => `${parent}/${e.name}`);
  });
}

mkdirSync(to, { recursive: true });
for (const f of ROOT_FILES) copy(f);
copy("node_modules", keepOrt);
let count = 0;
for (const dir of workspaceDirs()) {
  copy(`${dir}/package.json`);
  if (!existsSync(join(from, dir, "dist"))) continue; // a workspace without a build (none today)
  copy(`${dir}/dist`);
  for (const asset of ASSETS[dir] ?? []) copy(`${dir}/${asset}`);
  count++;
}
for (const dir of Object.keys(ASSETS)) {
  if (!existsSync(join(to, dir, ASSETS[dir][0]))) throw new Error(`assemble: ${dir}/${ASSETS[dir][0]} was not copied: is ${dir} still a workspace?`);
}
console.log(`assemble: ${count} workspaces and node_modules copied to ${to}`);
