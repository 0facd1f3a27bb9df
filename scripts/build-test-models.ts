/**
 * Builds what the test suites need: every generated family (resnet, yolo) at the small test
 * resolution, into the model cache ($FULCRUM_MODEL_DIR or <repo>/.fulcrum/models). Idempotent: a
 * model whose manifest and sha256 match is skipped. The fashion family is committed, not built.
 *
 *   node --conditions=@fulcrum/source --import tsx scripts/build-test-models.ts
 */
import { ZOO_TEST_RESOLUTION, ensureGeneratedModel, listFamilies, resolveModelDir } from "@fulcrum/zoo";

const modelDir = resolveModelDir(process.env, process.cwd());
const startedMs = performance.now();
let built = 0;
let cached = 0;
for (const family of listFamilies().filter((f) => f.kind === "generated")) {
  for (const variant of family.variants) {
    const r = ensureGeneratedModel({ family: family.name, variant, resolution: ZOO_TEST_RESOLUTION, modelDir });
    if (r.cached) cached++;
    else built++;
  }
}
const seconds = ((performance.now() - startedMs) / 1000).toFixed(1);
console.log(`test models (resolution ${ZOO_TEST_RESOLUTION}): ${built} built, ${cached} cached in ${modelDir} (${seconds} s)`);
