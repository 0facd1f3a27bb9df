import type { Refusals } from "@fulcrum/runtime";
import { Counter, Gauge, type Registry } from "prom-client";

/** The optimizer's instruments of the guarded control plane: the version authority, rollouts, refused inputs. */
export interface GuardMetrics {
  /** Compare-and-set writes that found the assignments KV entry changed by someone else. */
  readonly kvConflicts: Counter;
  /** KV writes of an Assignment that failed (NATS away…) and will be retried. */
  readonly kvWriteFailures: Counter;
  /** 1 while a decided Assignment waits to be written to KV, else 0. */
  readonly pendingWrite: Gauge;
  /** Replicas that did not ack a version within `ackTimeoutMs`, counted per check. */
  readonly missingAcks: Counter;
  /** Broadcasts of a version sent again because replicas had not acked it. */
  readonly rebroadcasts: Counter;
  /** Replicas whose registry heartbeat stopped without deregistering. */
  readonly vanishedReplicas: Counter;
  /** Ready replicas of the pipeline in the registry. */
  readonly liveReplicas: Gauge;
  /** Forecasts, load samples, acks and registry entries refused, by message and field. */
  readonly refused: Counter<"message" | "field">;
}

/** Registers the guard instruments on the optimizer's registry (its default labels apply); `refused` reads `refusals` at scrape time. */
export function createGuardMetrics(registry: Registry, refusals: Refusals): GuardMetrics {
  const registers = [registry];
  return {
    kvConflicts: new Counter({ name: "fulcrum_optimizer_kv_conflicts_total", help: "Assignment KV writes that found the entry changed by someone else (then re-read and numbered above it).", registers }),
    kvWriteFailures: new Counter({ name: "fulcrum_optimizer_kv_write_failures_total", help: "Assignment KV writes that failed and are retried.", registers }),
    pendingWrite: new Gauge({ name: "fulcrum_optimizer_assignment_pending", help: "1 while a decided Assignment waits to be written to KV.", registers }),
    missingAcks: new Counter({ name: "fulcrum_optimizer_missing_acks_total", help: "Replicas that had not acked a version when its ack timeout passed.", registers }),
    rebroadcasts: new Counter({ name: "fulcrum_optimizer_rebroadcasts_total", help: "Assignment broadcasts sent again for replicas that had not acked.", registers }),
    vanishedReplicas: new Counter({ name: "fulcrum_optimizer_vanished_replicas_total", help: "Replicas whose registry heartbeat stopped without deregistering.", registers }),
    liveReplicas: new Gauge({ name: "fulcrum_optimizer_live_replicas", help: "Ready replicas of the pipeline in the registry.", registers }),
    refused: new Counter({
      name: "fulcrum_optimizer_refused_messages_total", help: "Control-plane messages refused (malformed, beyond maxRps, from the future, another pipeline's), by message and field.", labelNames: ["message", "field"], registers,
      collect() {
        this.reset();
        for (const r of refusals.snapshot()) this.inc({ message: r.what, field: r.field }, r.count);
      },
    }),
  };
}
