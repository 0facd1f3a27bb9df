/**
 * `npm run bench -- zoo [--family F]`: batch-1 and batch-8 latency (1 intra-op thread, median) of
 * every zoo variant at its family's default resolution, with its accuracy and accuracy source.
 * Generated families are built into the model cache first when missing.
 */
import type { InferenceSession } from "onnxruntime-node";
import {
  createZooSession,
  ensureGeneratedModel,
  listFamilies,
  resolveModelDir,
  resolveVariant,
} from "@fulcrum/zoo";
import type { ModelManifest } from "@fulcrum/zoo";
import * as ort from "onnxruntime-node";

interface VariantResult {
  family: string;
  name: string;
  accuracy: number;
  accuracySource: "published" | "measured";
  resolution: number;
  latencyMsBatch1Threads1: number;
  latencyMsBatch8Threads1: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Median latency of `session` on a batch; at least 5 timed runs, more while under ~1.5 s. */
async function latencyMs(session: InferenceSession, manifest: ModelManifest, batch: number): Promise<number> {
  const spec = manifest.inputs[0];
  if (!spec) throw new Error(`${manifest.family}/${manifest.variant} has no input`);
  const dims = spec.shape.map((d) => (d === "N" ? batch : d));
  const data = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => (Math.sin(i * 0.61) + 1) / 2);
  const feeds = { [spec.name]: new ort.Tensor("float32", data, dims) };
  // Warm-up: the first runs of a session (and of the process) pay allocation and page-fault costs.
  const warmStart = performance.now();
  for (let i = 0; i < 50 && (i < 3 || performance.now() - warmStart < 200); i++) await session.run(feeds);
  const times: number[] = [];
  const started = performance.now();
  while (times.length < 5 || (times.length < 41 && performance.now() - started < 1500)) {
    const t = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t);
  }
  return median(times);
}

export default async function bench(args: string[]): Promise<object> {
  const familyArg = args.indexOf("--family");
  const only = familyArg >= 0 ? args[familyArg + 1] : undefined;
  const modelDir = resolveModelDir(process.env, process.cwd());
  const variants: VariantResult[] = [];
  for (const family of listFamilies().filter((f) => !only || f.name === only)) {
    for (const variant of family.variants) {
      const { path, manifest } =
        family.kind === "generated"
          ? ensureGeneratedModel({ family: family.name, variant, modelDir })
          : resolveVariant({ family: family.name, variant, modelDir });
      const session = await createZooSession(path, { intraOpThreads: 1 });
      try {
        const r: VariantResult = {
          family: family.name,
          name: variant,
          accuracy: manifest.accuracy,
          accuracySource: manifest.accuracySource,
          resolution: manifest.resolution,
          latencyMsBatch1Threads1: await latencyMs(session, manifest, 1),
          latencyMsBatch8Threads1: await latencyMs(session, manifest, 8),
        };
        variants.push(r);
        console.log(
          `${r.family}/${r.name} r${r.resolution}: accuracy ${(r.accuracy * 100).toFixed(2)} % (${r.accuracySource}), ` +
            `batch1 ${r.latencyMsBatch1Threads1.toFixed(3)} ms, batch8 ${r.latencyMsBatch8Threads1.toFixed(3)} ms (1 thread, median)`,
        );
      } finally {
        await session.release();
      }
    }
  }
  const lat = (f: string, n: string): number | undefined => variants.find((v) => v.family === f && v.name === n)?.latencyMsBatch1Threads1;
  const r18 = lat("resnet", "resnet18");
  const r152 = lat("resnet", "resnet152");
  const fashion = variants.filter((v) => v.family === "fashion");
  const summary = {
    resnet152OverResnet18Batch1: r18 && r152 ? r152 / r18 : undefined,
    fashionAccuracySpanPp: fashion.length ? (Math.max(...fashion.map((v) => v.accuracy)) - Math.min(...fashion.map((v) => v.accuracy))) * 100 : undefined,
    fashionBatch1LatencySpan: fashion.length
      ? Math.max(...fashion.map((v) => v.latencyMsBatch1Threads1)) / Math.min(...fashion.map((v) => v.latencyMsBatch1Threads1))
      : undefined,
    fashionMaxBatch1LatencyMs: fashion.length ? Math.max(...fashion.map((v) => v.latencyMsBatch1Threads1)) : undefined,
  };
  console.log(`summary: ${JSON.stringify(summary)}`);
  return { variants, summary };
}
