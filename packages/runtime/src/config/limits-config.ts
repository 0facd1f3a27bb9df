/**
 * The bounds a service applies to what it decodes (see the codec's `limits.ts`), as configuration
 * keys with sensible defaults. A service spreads the shapes it needs into its schema.
 */
import { availableParallelism } from "node:os";
import { z } from "zod";
import type { AssignmentLimits } from "../codec/limits.js";

/** Defaults of {@link messageLimitsShape}, for consumers without a configuration of their own (the launcher). */
export const DEFAULT_MESSAGE_LIMITS: Readonly<{ maxRps: number; maxClockSkewMs: number }> = Object.freeze({ maxRps: 100_000, maxClockSkewMs: 60_000 });

/** Rate and clock bounds of metrics, load samples and forecasts. */
export const messageLimitsShape = {
  /** Largest rate a control-plane message may report or imply, requests per second; above it the message is refused. @default 100000 */
  maxRps: z.coerce.number().positive().default(DEFAULT_MESSAGE_LIMITS.maxRps),
  /** Largest time a message's timestamp may be ahead of this service's clock, ms; further ahead it is refused. @default 60000 */
  maxClockSkewMs: z.coerce.number().int().positive().default(DEFAULT_MESSAGE_LIMITS.maxClockSkewMs),
};

/** Resource bounds of the Assignments (and placements) a service applies. */
export const assignmentLimitsShape = {
  /** Largest cores per replica an Assignment may give. @default this machine's cores (`os.availableParallelism()`) */
  maxCoresPerReplica: z.coerce.number().int().min(1).default(availableParallelism()),
  /** Largest batch an Assignment may give (the stage's models take any batch up to it). @default 256 */
  maxBatch: z.coerce.number().int().min(1).default(256),
  /** Largest replica count: of one variant, and in all. @default 256 */
  maxReplicas: z.coerce.number().int().min(1).default(256),
  /** Largest Σ cores × replicas of an Assignment (the core budget). @default 1024 */
  maxTotalCores: z.coerce.number().int().min(1).default(1024),
};

/** The {@link AssignmentLimits} of a configuration with {@link assignmentLimitsShape}. */
export function assignmentLimitsOf(cfg: AssignmentLimits): AssignmentLimits {
  return { maxCoresPerReplica: cfg.maxCoresPerReplica, maxBatch: cfg.maxBatch, maxReplicas: cfg.maxReplicas, maxTotalCores: cfg.maxTotalCores };
}
