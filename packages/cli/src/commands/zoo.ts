import { join } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import cliProgress from "cli-progress";
import {
  COMMITTED_MODEL_DIR,
  DEFAULT_SEED,
  FASHION_GENERATOR_VERSION,
  FASHION_MNIST_DEFAULT_DIR,
  FASHION_RESOLUTION,
  ZooOptionError,
  assertVariant,
  ensureGeneratedModel,
  findCachedModel,
  getFamily,
  isFullRecipe,
  listFamilies,
  loadFashionMnist,
  resolveModelDir,
  trainFashionFamily,
} from "@fulcrum/zoo";
import type { ModelManifest } from "@fulcrum/zoo";

/** Where the zoo command writes its report lines (stdout by default; tests capture them). */
export interface ZooCommandIo {
  out: (line: string) => void;
  /** Show progress bars (on stderr). @default process.stderr.isTTY */
  progress?: boolean;
}

function integerOption(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got "${value}"`);
    return n;
  };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function describe(m: ModelManifest): string {
  const mb = (m.sizeBytes / 1e6).toFixed(1);
  return `${m.family}/${m.variant} r${m.resolution}: ${(m.params / 1e6).toFixed(2)} M params, ${(m.flops / 1e9).toFixed(3)} GFLOPs, ${mb} MB, accuracy ${(m.accuracy * 100).toFixed(2)} % (${m.accuracySource})`;
}

function newBar(enabled: boolean, format: string): cliProgress.SingleBar | undefined {
  if (!enabled) return undefined;
  return new cliProgress.SingleBar({ format, hideCursor: true, clearOnComplete: false }, cliProgress.Presets.shades_classic);
}

/**
 * `fulcrum zoo`: build the generated families into the model cache (with a build cache keyed by
 * the manifest's build parameters and sha256) and train the fashion family.
 */
export function zooCommand(io: ZooCommandIo = { out: (line) => console.log(line) }): Command {
  const showProgress = io.progress ?? Boolean(process.stderr.isTTY);
  const zoo = new Command("zoo").description("build and train Fulcrum's model-variant families (ONNX)");

  zoo
    .command("list")
    .description("list the families and their variants")
    .action(() => {
      for (const f of listFamilies()) io.out(`${f.name} (${f.kind}, default resolution ${f.defaultResolution}): ${f.variants.join(", ")}`);
    });

  zoo
    .command("build")
    .description("build the generated families (resnet, yolo) into the model cache; cached models matching their manifest are skipped")
    .option("-f, --family <family>", "family to build (default: every generated family)")
    .option("-v, --variant <variant>", "variant to build (repeatable; default: all of the family)", collect)
    .option("-r, --resolution <pixels>", "input resolution in pixels per side (yolo: the crop it emits)", integerOption("--resolution", 1))
    .option("-s, --seed <seed>", "weight seed", integerOption("--seed", 0), DEFAULT_SEED)
    .option("-o, --out <dir>", "model cache directory (default: $FULCRUM_MODEL_DIR or <repo>/.fulcrum/models)")
    .option("--force", "rebuild even when the cache matches", false)
    .action((opts: { family?: string; variant?: string[]; resolution?: number; seed: number; out?: string; force: boolean }) => {
      const modelDir = opts.out ?? resolveModelDir(process.env, process.cwd());
      const families = opts.family ? [getFamily(opts.family)] : listFamilies().filter((f) => f.kind === "generated");
      if (opts.variant && !opts.family) throw new ZooOptionError("--variant", "needs --family");
      for (const f of families) {
        if (f.kind !== "generated") throw new ZooOptionError("--family", `"${f.name}" is a trained family: run \`fulcrum zoo train ${f.name}\``);
      }
      const jobs = families.flatMap((f) => (opts.variant ?? f.variants).map((variant) => ({ family: f.name, variant })));
      for (const j of jobs) assertVariant(j.family, j.variant);
      const bar = newBar(showProgress, "zoo build [{bar}] {value}/{total} {model}");
      bar?.start(jobs.length, 0, { model: "" });
      let built = 0;
      try {
        for (const job of jobs) {
          bar?.update({ model: `${job.family}/${job.variant}` });
          const r = ensureGeneratedModel({
            ...job,
            seed: opts.seed,
            modelDir,
            force: opts.force,
            ...(opts.resolution === undefined ? {} : { resolution: opts.resolution }),
          });
          if (!r.cached) built++;
          bar?.increment();
          io.out(`${r.cached ? "cached" : "built "} ${describe(r.manifest)} -> ${r.path}`);
        }
      } finally {
        bar?.stop();
      }
      io.out(`zoo build: ${built} built, ${jobs.length - built} cached, in ${modelDir}`);
    });

  zoo
    .command("train")
    .description("train a trained family (fashion) on its dataset, evaluate it on the test split and write models + manifests")
    .argument("<family>", "family to train (fashion)")
    .option("-v, --variant <variant>", "variant to train (repeatable; default: all)", collect)
    .option("-s, --seed <seed>", "seed of initial weights and shuffling", integerOption("--seed", 0), DEFAULT_SEED)
    .option("-t, --threads <n>", "onnxruntime intra-op threads", integerOption("--threads", 1), 1)
    .option("-o, --out <dir>", "output root; models go to <dir>/<family>/", COMMITTED_MODEL_DIR)
    .option("--data-dir <dir>", "directory of the Fashion-MNIST IDX .gz files", FASHION_MNIST_DEFAULT_DIR)
    .option("--epochs <n>", "override every variant's epoch count (disables the cache)", integerOption("--epochs", 1))
    .option("--train-limit <n>", "train on the first n training images only (disables the cache)", integerOption("--train-limit", 1))
    .option("--force", "retrain even when a matching model exists", false)
    .action(
      async (
        family: string,
        opts: { variant?: string[]; seed: number; threads: number; out: string; dataDir: string; epochs?: number; trainLimit?: number; force: boolean },
      ) => {
        const info = getFamily(family);
        if (info.kind !== "trained") throw new ZooOptionError("family", `"${family}" is generated, not trained: run \`fulcrum zoo build --family ${family}\``);
        const variants = opts.variant ?? info.variants;
        for (const v of variants) assertVariant(family, v);
        const cacheable = !opts.force && opts.epochs === undefined && opts.trainLimit === undefined;
        const todo = variants.filter((variant) => {
          const cached = cacheable
            ? findCachedModel(join(opts.out, family), {
                family,
                variant,
                resolution: FASHION_RESOLUTION,
                seed: opts.seed,
                generatorVersion: FASHION_GENERATOR_VERSION,
              })
            : undefined;
          // A model trained with a shortened recipe (--epochs/--train-limit) is not the family's model.
          const hit = cached && isFullRecipe(cached, opts.seed) ? cached : undefined;
          if (hit) io.out(`cached ${describe(hit)}`);
          return !hit;
        });
        if (todo.length === 0) {
          io.out(`zoo train ${family}: all ${variants.length} variants cached in ${join(opts.out, family)}`);
          return;
        }
        const data = loadFashionMnist(opts.dataDir);
        const bar = newBar(showProgress, "train {variant} [{bar}] {percentage}% epoch {epoch} loss {loss}");
        let current = "";
        let lastDecile = 0;
        const startedMs = performance.now();
        try {
          await trainFashionFamily({
            data,
            outDir: opts.out,
            seed: opts.seed,
            variants: todo,
            intraOpThreads: opts.threads,
            ...(opts.epochs === undefined ? {} : { epochs: opts.epochs }),
            ...(opts.trainLimit === undefined ? {} : { trainLimit: opts.trainLimit }),
            onProgress: (p) => {
              if (!bar) {
                // Without a terminal, report every 10 % so long runs still show they are alive.
                const decile = Math.floor((p.step * 10) / p.steps);
                if (p.step === 1) lastDecile = 0;
                if (decile > lastDecile) io.out(`train ${p.variant}: ${decile * 10} % (epoch ${p.epoch}, loss ${p.loss.toFixed(3)})`);
                lastDecile = decile;
                return;
              }
              if (p.variant !== current) {
                if (current) bar.stop();
                current = p.variant;
                bar.start(p.steps, 0, { variant: p.variant, epoch: p.epoch, loss: "" });
              }
              if (p.step % 10 === 0 || p.step === p.steps) bar.update(p.step, { epoch: p.epoch, loss: p.loss.toFixed(3) });
            },
            onVariantDone: (m) => {
              bar?.stop();
              current = "";
              io.out(`trained ${describe(m)} in ${m.training?.trainSeconds ?? 0} s`);
            },
          });
        } finally {
          bar?.stop();
        }
        io.out(`zoo train ${family}: ${todo.length} trained in ${((performance.now() - startedMs) / 1000).toFixed(1)} s, written to ${join(opts.out, family)}`);
      },
    );

  return zoo;
}
