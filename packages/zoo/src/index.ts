/**
 * @fulcrum/zoo: Fulcrum's model-variant families as ONNX: an ONNX graph builder, the generated
 * `resnet` and `yolo` families (real architectures, synthetic weights, published accuracy), the
 * `fashion` family trained here with onnxruntime as the training engine (measured accuracy),
 * manifests, a build cache and variant resolution.
 */
export { DatasetError, ManifestError, ModelNotBuiltError, UnknownFamilyError, UnknownVariantError, ZooOptionError } from "./errors.js";
export { GraphBuilder, ZOO_OPSET, readFloatInitializers } from "./onnx/graph-builder.js";
export type { AttrValue, Dim, ElementType } from "./onnx/graph-builder.js";
export { ConvNet } from "./onnx/conv-net.js";
export type { ConvOptions, Feature } from "./onnx/conv-net.js";
export { createWeightSource, deriveSeed } from "./onnx/weights.js";
export type { WeightSource } from "./onnx/weights.js";
export {
  BATCH_DIM,
  ModelManifestSchema,
  PipelineContractSchema,
  TensorSpecSchema,
  TrainingRecordSchema,
  formatManifest,
  loadManifest,
  parseManifest,
  sha256Hex,
} from "./manifest.js";
export type { ModelManifest, PipelineContract, TensorSpec, TrainingRecord } from "./manifest.js";
export { FAMILY_NAMES, assertVariant, familyVariants, getFamily, listFamilies } from "./families/registry.js";
export type { FamilyInfo, FamilyName } from "./families/registry.js";
export type { BuiltModel, GeneratedBuildOptions } from "./families/types.js";
export { RESNET_DEFAULT_RESOLUTION, RESNET_GENERATOR_VERSION, RESNET_VARIANTS, buildResnet } from "./families/resnet.js";
export type { ResnetVariant } from "./families/resnet.js";
export { YOLO_DEFAULT_RESOLUTION, YOLO_GENERATOR_VERSION, YOLO_INPUT_SCALE, YOLO_VARIANTS, buildYolo } from "./families/yolo.js";
export type { YoloVariant } from "./families/yolo.js";
export {
  FASHION_ARCHITECTURES,
  FASHION_CLASSES,
  FASHION_RESOLUTION,
  FASHION_TRAIN_SAMPLES,
  FASHION_VARIANTS,
  fashionArchitecture,
  planArchitecture,
  weightsVariant,
} from "./families/fashion-architectures.js";
export type { FashionArchitecture, FashionLayer, TestTimeView } from "./families/fashion-architectures.js";
export { DEFAULT_SEED, ZOO_TEST_RESOLUTION, buildGeneratedModel, ensureGeneratedModel } from "./build.js";
export type { BuildModelOptions, EnsureModelOptions, EnsuredModel } from "./build.js";
export { findCachedModel, modelPaths, sha256File, writeModel } from "./store.js";
export type { BuildKey, ModelPaths } from "./store.js";
export { COMMITTED_MODEL_DIR, MODEL_DIR_ENV, resolveModelDir, resolveVariant } from "./resolve.js";
export type { ResolveVariantOptions, ResolvedVariant } from "./resolve.js";
export { FASHION_MNIST_DEFAULT_DIR, gatherPixels, loadFashionMnist, readIdxImages, readIdxLabels } from "./data/fashion-mnist.js";
export type { FashionMnist, FashionSplit } from "./data/fashion-mnist.js";
export { evaluateFashionModel } from "./eval/evaluate.js";
export type { EvaluateOptions, EvaluationResult } from "./eval/evaluate.js";
export { FASHION_GENERATOR_VERSION, createTrainingStep, initialFashionWeights, trainFashionVariant } from "./train/trainer.js";
export type { TrainFashionOptions, TrainProgress, TrainedModel, TrainingStep } from "./train/trainer.js";
export { isFullRecipe, trainFashionFamily } from "./train/train-family.js";
export type { TrainFashionFamilyOptions } from "./train/train-family.js";
export { createZooSession } from "./ort/session.js";
export type { ZooSessionOptions } from "./ort/session.js";
