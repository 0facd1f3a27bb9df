import { it } from "vitest";
import { createRng, normal } from "/work/main/packages/core/src/rng/index.js";
import { fitSpongeLatency } from "/work/main/packages/core/src/perf/fit.js";
import { spongeLatencyMs } from "/work/main/packages/core/src/perf/latency-model.js";
it("x", () => {
  for (const K of [{ gammaMs: 30, deltaMs: 3, epsilonMs: 12, etaMs: 6 }, { gammaMs: 30, deltaMs: 3, epsilonMs: 20, etaMs: 10 }]) {
    let worst = [0,0,0,0];
    for (let seed = 1; seed <= 50; seed++) {
      const rng = createRng(seed);
      const pts = [1,2,4,8,16].flatMap((batch) => [1,2,4,8].flatMap((cores) => Array.from({length:3},()=>({ batch, cores, latencyMs: spongeLatencyMs(K, batch, cores) * (1 + normal(rng, 0, 0.01)) }))));
      const c = fitSpongeLatency(pts).coefficients;
      const e = [c.gammaMs/K.gammaMs-1, c.deltaMs/K.deltaMs-1, c.epsilonMs/K.epsilonMs-1, c.etaMs/K.etaMs-1].map(Math.abs);
      worst = worst.map((w,i)=>Math.max(w,e[i]!));
    }
    console.log(JSON.stringify(K), worst.map(x=>x.toFixed(3)).join(" "));
  }
});
