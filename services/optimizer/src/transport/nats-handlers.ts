import { control, KV_BUCKETS, kvKeys, subjects } from "@fulcrum/proto";
import { toDomainAck, toDomainForecast, toDomainLoadSample, toPbAssignment, type Bus, type Logger, type MessageMeta, type Stoppable, type TypedKv } from "@fulcrum/runtime";
import type { Assignment } from "@fulcrum/core";
import type { AssignmentAckRecord, LoadForecast, LoadSample } from "@fulcrum/core/control";

/** Where decoded, validated control-plane inputs go. */
export interface OptimizerInputs {
  onForecast(forecast: LoadForecast, meta: MessageMeta): void;
  onLoad(sample: LoadSample): void;
  onAck(ack: AssignmentAckRecord): void;
}

/**
 * Subscribes to `fulcrum.forecast.<p>`, `fulcrum.load.<p>` and `fulcrum.ack.<p>.>`, decodes and
 * validates each message and hands it to `inputs`. Invalid messages and other pipelines' messages are
 * logged (debug for the latter) and dropped.
 */
export function startNatsHandlers(bus: Bus, pipeline: string, inputs: OptimizerInputs, logger: Logger): Stoppable[] {
  const guarded = <T, D>(what: string, decode: (pb: T) => D, use: (d: D, meta: MessageMeta) => void) => (pb: T, meta: MessageMeta): void => {
    let d: D;
    try {
      d = decode(pb);
    } catch (err) {
      logger.warn({ err, subject: meta.subject }, `ignoring invalid ${what}`);
      return;
    }
    if ((d as { pipeline: string }).pipeline !== pipeline) {
      logger.debug({ subject: meta.subject, pipeline: (d as { pipeline: string }).pipeline }, `ignoring ${what} of another pipeline`);
      return;
    }
    use(d, meta);
  };
  return [
    bus.subscribe(subjects.forecast(pipeline), control.Forecast, guarded("forecast", toDomainForecast, (f, meta) => inputs.onForecast(f, meta))),
    bus.subscribe(subjects.load(pipeline), control.LoadSample, guarded("load sample", toDomainLoadSample, (l) => inputs.onLoad(l))),
    bus.subscribe(subjects.ackAll(pipeline), control.AssignmentAck, guarded("ack", toDomainAck, (a) => inputs.onAck(a))),
  ];
}

/** Opens the assignments KV bucket. */
export function openAssignmentsKv(bus: Bus): Promise<TypedKv> {
  return bus.kv(KV_BUCKETS.assignments);
}

/** The latest stored Assignment of `pipeline` (undecoded: the caller validates), if any. */
export function readStoredAssignment(kv: TypedKv, pipeline: string): Promise<control.Assignment | undefined> {
  return kv.get(kvKeys.assignment(pipeline), control.Assignment);
}

/**
 * Broadcasts an Assignment on `fulcrum.assignment.<p>` and stores it in KV under the pipeline, in
 * that order (subscribers get it at once; late starters read KV). A KV failure is logged, not thrown:
 * the broadcast already happened and the next decision stores a newer version.
 */
export async function publishAssignment(bus: Bus, kv: TypedKv | undefined, a: Assignment, reason: string, logger: Logger): Promise<void> {
  const pb = toPbAssignment(a, reason);
  bus.publish(subjects.assignment(a.pipeline), control.Assignment, pb);
  if (!kv) return;
  try {
    await kv.put(kvKeys.assignment(a.pipeline), control.Assignment, pb);
  } catch (err) {
    logger.warn({ err, version: a.version }, "could not store the assignment in KV");
  }
}
