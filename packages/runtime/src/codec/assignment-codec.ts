/**
 * Assignment conversion shared by every service that sends or applies one (optimizer, stage,
 * gateway): the control-plane codec, validated on the way in.
 */
import { InvalidArgumentError, type Assignment, type StageAssignment } from "@fulcrum/core";
import type { control } from "@fulcrum/proto";

/** Tolerance on Σ weights = 1 per stage. */
const WEIGHT_TOLERANCE = 1e-6;

/** Domain → wire. */
export function toPbAssignment(a: Assignment, reason = ""): control.Assignment {
  return {
    pipeline: a.pipeline,
    version: a.version,
    policy: a.policy,
    createdUnixMs: Math.round(a.createdAtMs),
    reason,
    stages: a.stages.map((s) => ({
      stage: s.stage,
      variants: s.variants.map((v) => ({ variant: v.variant, weight: v.weight, batch: v.batch, coresPerReplica: v.coresPerReplica, replicas: v.replicas })),
    })),
  };
}

/**
 * Wire → domain. Throws `InvalidArgumentError` naming the field for: an empty pipeline, version 0,
 * a stage without variants, a duplicate stage or variant, weights outside [0, 1] or not summing to
 * 1, batch/cores < 1, or a weighted variant without replicas.
 */
export function toDomainAssignment(pb: control.Assignment): Assignment {
  if (!pb.pipeline) throw new InvalidArgumentError("pipeline", "is empty");
  if (!(pb.version >= 1)) throw new InvalidArgumentError("version", `must be ≥ 1, got ${pb.version}`);
  const seenStages = new Set<string>();
  const stages: StageAssignment[] = pb.stages.map((s, i) => {
    const at = `stages[${i}]`;
    if (!s.stage) throw new InvalidArgumentError(`${at}.stage`, "is empty");
    if (seenStages.has(s.stage)) throw new InvalidArgumentError(`${at}.stage`, `stage "${s.stage}" appears twice`);
    seenStages.add(s.stage);
    if (s.variants.length === 0) throw new InvalidArgumentError(`${at}.variants`, `stage "${s.stage}" has no variants`);
    const seen = new Set<string>();
    let sum = 0;
    const variants = s.variants.map((v, j) => {
      const vat = `${at}.variants[${j}]`;
      if (!v.variant) throw new InvalidArgumentError(`${vat}.variant`, "is empty");
      if (seen.has(v.variant)) throw new InvalidArgumentError(`${vat}.variant`, `variant "${v.variant}" appears twice in stage "${s.stage}"`);
      seen.add(v.variant);
      if (!(v.weight >= 0 && v.weight <= 1)) throw new InvalidArgumentError(`${vat}.weight`, `must be in [0, 1], got ${v.weight}`);
      if (!(v.batch >= 1)) throw new InvalidArgumentError(`${vat}.batch`, `must be ≥ 1, got ${v.batch}`);
      if (!(v.coresPerReplica >= 1)) throw new InvalidArgumentError(`${vat}.cores_per_replica`, `must be ≥ 1, got ${v.coresPerReplica}`);
      if (v.weight > 0 && !(v.replicas >= 1)) throw new InvalidArgumentError(`${vat}.replicas`, `must be ≥ 1 for a variant with traffic, got ${v.replicas}`);
      sum += v.weight;
      return { variant: v.variant, weight: v.weight, batch: v.batch, coresPerReplica: v.coresPerReplica, replicas: v.replicas };
    });
    if (Math.abs(sum - 1) > WEIGHT_TOLERANCE) throw new InvalidArgumentError(`${at}.variants`, `weights of stage "${s.stage}" sum to ${sum}, not 1`);
    return { stage: s.stage, variants };
  });
  return { pipeline: pb.pipeline, version: pb.version, policy: pb.policy, createdAtMs: pb.createdUnixMs, stages };
}
