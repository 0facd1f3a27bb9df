import type { Clause } from "../types.js";
import { assignmentAck, assignmentRefusal, assignmentReported, assignmentRestore } from "./assignment.js";
import { healthClause, oipBadParameters, oipDeadline, oipInfer, oipMalformed, oipMetadata, oipParameters } from "./data-plane.js";
import { drainClause } from "./drain.js";
import { metricsCadence } from "./metrics.js";
import { registryEntry, registryExpiry, registryHeartbeat } from "./registry.js";

/**
 * The clauses of stage contract v1, in the order they run. Registry and data-plane clauses first
 * (they only read), then the assignment clauses (they change the stage and restore it), drain last
 * (it stops the stage).
 */
export const CLAUSES: readonly Clause[] = [
  registryEntry,
  healthClause,
  oipMetadata,
  oipInfer,
  oipParameters,
  oipBadParameters,
  oipMalformed,
  oipDeadline,
  registryHeartbeat,
  registryExpiry,
  metricsCadence,
  assignmentAck,
  assignmentReported,
  assignmentRefusal,
  assignmentRestore,
  drainClause,
];
