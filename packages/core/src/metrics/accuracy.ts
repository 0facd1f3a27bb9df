/**
 * Accuracy of a pipeline answer: the product of its variants' accuracies (IPA's pipeline accuracy score, PAS; docs/architecture.md#metrics);
 * undefined when any variant's accuracy is unknown.
 */
export function pipelineAccuracy(variants: readonly string[], accuracies: Readonly<Record<string, number>>): number | undefined {
  let p = 1;
  for (const v of variants) {
    const a = accuracies[v];
    if (a === undefined) return undefined;
    p *= a;
  }
  return variants.length === 0 ? undefined : p;
}
