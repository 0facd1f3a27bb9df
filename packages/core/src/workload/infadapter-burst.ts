import { createRng, normal } from "../rng/index.js";

/** Length of InfAdapter's evaluation window in seconds (21 minutes). */
export const INFADAPTER_BURST_DURATION_S = 1260;

/**
 * Generates InfAdapter's 21-minute burst window (docs/architecture.md#twitter-trace-windows, undamped Twitter slice):
 * ≈46 RPS (per-minute maxima ≈54–63) for 9 minutes, a 7-minute burst whose per-minute maxima are
 * ≈218–274, then ≈46 RPS again for 5 minutes. Overall ≈27–274 RPS, mean ≈97. Integer per-second
 * RPS, deterministic by `seed`.
 */
export function generateInfAdapterBurst(seed: number): number[] {
  const rng = createRng(seed);
  const baseRps = 46;
  const burstStartS = 540;
  const burstS = 420;
  const rampS = 20;
  const out: number[] = [];
  for (let t = 0; t < INFADAPTER_BURST_DURATION_S; t++) {
    const u = (t - burstStartS) / burstS;
    let level = baseRps;
    let noiseStd = 5.5;
    if (u >= 0 && u < 1) {
      // A hump rather than a plateau: the real burst peaks mid-way (274) and sags at its edges.
      const hump = 185 + 40 * Math.sin(Math.PI * u);
      const edge = Math.min(1, (t - burstStartS) / rampS, (burstStartS + burstS - t) / rampS);
      level = baseRps + (hump - baseRps) * edge;
      noiseStd = 5.5 + 9.5 * edge;
    }
    out.push(Math.max(0, Math.round(level + noiseStd * normal(rng))));
  }
  return out;
}
