/**
 * Child process of the stage benchmark: closed-loop OIP clients against one address, so the load
 * runs in another process than the stage. Args: JSON `{address, model, input, tail, concurrency,
 * warmupS, durationS}`; prints one JSON line `{completed, failed, seconds, rps, latencyP50Ms, latencyP99Ms}`.
 */
import { fp32Request, OipClient, oipParam } from "@fulcrum/runtime";

interface Args {
  address: string;
  model: string;
  input: string;
  tail: number[];
  concurrency: number;
  warmupS: number;
  durationS: number;
}
const args = JSON.parse(process.argv[2] ?? "{}") as Args;
const clients = Array.from({ length: Math.min(args.concurrency, 8) }, () => new OipClient(args.address));
const request = fp32Request(args.model, args.input, args.tail, { params: { slo_ms: oipParam.int(600_000) } });

const warmEnd = performance.now() + args.warmupS * 1000;
const end = warmEnd + args.durationS * 1000;
let completed = 0;
let failed = 0;
const latencies: number[] = [];
let firstError: string | undefined;
await Promise.all(
  Array.from({ length: args.concurrency }, async (_, k) => {
    const c = clients[k % clients.length]!;
    for (;;) {
      const t0 = performance.now();
      if (t0 >= end) break;
      const r = await c.infer(request);
      const t1 = performance.now();
      if (t0 < warmEnd || t1 > end) continue;
      if (r.ok) {
        completed++;
        latencies.push(t1 - t0);
      } else {
        failed++;
        firstError ??= `${r.code}: ${r.details}`;
      }
    }
  }),
);
for (const c of clients) c.close();
latencies.sort((a, b) => a - b);
const q = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
process.stdout.write(
  `${JSON.stringify({ completed, failed, seconds: args.durationS, rps: completed / args.durationS, latencyP50Ms: q(0.5), latencyP99Ms: q(0.99), firstError })}\n`,
);
