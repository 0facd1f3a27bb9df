import { InvalidArgumentError } from "@fulcrum/core";
import { control, KV_BUCKETS, kvKeys, subjects } from "@fulcrum/proto";
import { toDomainAck, toDomainForecast, toDomainLoadSample, toDomainRegistryRecord, type Bus, type MessageBounds, type MessageMeta, type Refusals, type Stoppable } from "@fulcrum/runtime";
import type { AssignmentAckRecord, LoadForecast, LoadSample, RegistryRecord } from "@fulcrum/core/control";

/** Where decoded, validated control-plane inputs go. */
export interface OptimizerInputs {
  onForecast(forecast: LoadForecast, meta: MessageMeta): void;
  onLoad(sample: LoadSample): void;
  onAck(ack: AssignmentAckRecord): void;
  /** A registry entry of the pipeline was put (registration or heartbeat). */
  onReplica(entry: RegistryRecord): void;
  /** A registry entry of the pipeline was deleted (the replica deregistered). */
  onReplicaGone(stage: string, instance: string): void;
}

/**
 * Subscribes to `fulcrum.forecast.<p>`, `fulcrum.load.<p>` and `fulcrum.ack.<p>.>`, and watches the
 * pipeline's registry entries; decodes, validates and bounds each message (`bounds()`: rates within
 * `maxRps`, nothing from the future) and hands it to `inputs`. A refused message, another
 * pipeline's included, is counted and logged naming the field, and dropped.
 */
export async function startNatsHandlers(bus: Bus, pipeline: string, inputs: OptimizerInputs, refusals: Refusals, bounds: () => MessageBounds): Promise<Stoppable[]> {
  const guarded = <T, D extends { pipeline: string }>(what: string, decode: (pb: T) => D, use: (d: D, meta: MessageMeta) => void) => (pb: T, meta: MessageMeta): void => {
    let d: D;
    try {
      d = decode(pb);
      if (d.pipeline !== pipeline) throw new InvalidArgumentError("pipeline", `"${d.pipeline}" is not this optimizer's pipeline "${pipeline}"`);
    } catch (err) {
      refusals.record(what, err, { subject: meta.subject });
      return;
    }
    use(d, meta);
  };
  const registry = await bus.kv(KV_BUCKETS.registry);
  return [
    bus.subscribe(subjects.forecast(pipeline), control.Forecast, guarded("Forecast", (pb: control.Forecast) => toDomainForecast(pb, bounds()), (f, meta) => inputs.onForecast(f, meta))),
    bus.subscribe(subjects.load(pipeline), control.LoadSample, guarded("LoadSample", (pb: control.LoadSample) => toDomainLoadSample(pb, bounds()), (l) => inputs.onLoad(l))),
    bus.subscribe(subjects.ackAll(pipeline), control.AssignmentAck, guarded("AssignmentAck", toDomainAck, (a) => inputs.onAck(a))),
    await registry.watch(kvKeys.registryOfPipeline(pipeline), control.RegistryEntry, (e, key) => {
      const [, stage = "", instance = ""] = key.split(".");
      if (!e) {
        inputs.onReplicaGone(stage, instance);
        return;
      }
      guarded("RegistryEntry", (pb: control.RegistryEntry) => toDomainRegistryRecord(pb, bounds()), (r) => inputs.onReplica(r))(e, { subject: `${KV_BUCKETS.registry}/${key}` });
    }),
  ];
}
