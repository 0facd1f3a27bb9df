/**
 * Source of the HiGHS worker thread. It is evaluated (`eval: true`) rather than loaded from a file
 * so the same code runs from TypeScript sources (tsx, vitest) and from compiled `dist/`, and it
 * `require`s `highs` by an absolute path resolved in the parent (the CJS build's default export is
 * the loader; docs/architecture.md#highs-in-a-worker is about the ESM typings of the same thing).
 *
 * Protocol: parent → `{ id, model, timeLimitS, mipGap, mipFeasibilityTolerance }`; worker → `{ id, status, objective?, values?,
 * solveMs, message? }`, plus one `{ ready: true }` or `{ startError }` after loading.
 */
export const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require("node:worker_threads");
const STATUS = { 6: "optimal", 7: "optimal", 8: "infeasible", 9: "infeasible", 10: "unbounded", 13: "time-limit", 14: "time-limit", 16: "time-limit", 17: "time-limit" };
let highs;
function solve(msg) {
  const t0 = performance.now();
  try {
    return highs.withModel(msg.model, (m) => {
      m.options.set({ output_flag: false, time_limit: msg.timeLimitS, mip_rel_gap: msg.mipGap, mip_abs_gap: msg.mipGap, mip_feasibility_tolerance: msg.mipFeasibilityTolerance });
      const run = m.run();
      const status = STATUS[run.modelStatus] ?? "error";
      let hasValues = status === "optimal";
      if (status === "time-limit") {
        try { hasValues = Number(m.info.get("primal_solution_status")) === 2; } catch { hasValues = false; }
      }
      const out = { id: msg.id, status, solveMs: performance.now() - t0 };
      if (status === "error") out.message = "HiGHS model status " + run.modelStatus;
      if (status === "infeasible" && run.modelStatus === 9) out.message = "primal infeasible or unbounded";
      if (hasValues) {
        out.values = Array.from(m.getSolution().colValue);
        out.objective = m.getObjectiveValue();
      }
      return out;
    });
  } catch (err) {
    return { id: msg.id, status: "error", solveMs: performance.now() - t0, message: String(err && err.message || err) };
  }
}
const mod = require(workerData.highsPath);
(mod.default ?? mod)().then(
  (h) => {
    highs = h;
    parentPort.on("message", (msg) => parentPort.postMessage(solve(msg)));
    parentPort.postMessage({ ready: true });
  },
  (err) => parentPort.postMessage({ startError: String(err && err.message || err) }),
);
`;
