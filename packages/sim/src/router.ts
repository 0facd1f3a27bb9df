import type { StageAssignment } from "@fulcrum/core";
import { Router, type ReplicaInfo } from "@fulcrum/core/routing";
import { DRAINING, READY, STARTING, STOPPED, type Replica } from "./replica.js";

/**
 * How the engine routes one stage call: the gateway's own {@link Router} from
 * `@fulcrum/core/routing` (a variant by the assignment's traffic shares among the variants with a
 * ready replica, smooth weighted round robin; then the least-outstanding ready replica of it; with
 * none of the assigned variants ready, any ready replica of the stage). The engine tells it every
 * replica change and every new assignment.
 */
export interface RequestRouter {
  /** The replica that takes the next request of `stage` at `nowMs`, counted as outstanding; `undefined` when no replica is ready. */
  pick(stage: number, nowMs: number): Replica | undefined;
  /** A request routed by {@link pick} left `replica` (served, dropped or refused). */
  release(replica: Replica): void;
  /** `replica` appeared, changed state or variant, or stopped. */
  update(replica: Replica): void;
  /** Installs a new assignment (its traffic shares) at `nowMs`. */
  assign(stages: readonly StageAssignment[], nowMs: number): void;
}

/** The registry entry of a simulated replica, carrying the replica itself so a route needs no lookup. */
interface SimReplicaInfo extends ReplicaInfo {
  readonly replica: Replica;
}

const PHASE = { [STARTING]: "starting", [READY]: "ready", [DRAINING]: "draining" } as const;

/**
 * The {@link RequestRouter} of a simulated pipeline: core's gateway router over the run's replicas.
 * Replicas are registered under their `instance` name with the registry's state; heartbeats never go
 * stale and nothing is ejected (simulated replicas do not fail), so eligibility is the state alone.
 */
export function createCoreRouter(pipeline: string, stageNames: readonly string[]): RequestRouter {
  const router: Router<SimReplicaInfo> = new Router({ staleMs: Infinity, ejectMs: 0 });
  let version = 0;
  return {
    pick(stage, nowMs) {
      const route = router.route(pipeline, stageNames[stage]!, nowMs);
      if (!route) return undefined;
      router.begin(route.replica.instance);
      return route.replica.replica;
    },
    release(r) {
      router.end(r.instance);
    },
    update(r) {
      const stage = stageNames[r.stage]!;
      if (r.state === STOPPED) {
        router.removeReplica(pipeline, stage, r.instance);
        return;
      }
      router.upsertReplica(pipeline, { instance: r.instance, stage, address: r.instance, variant: r.variantName, state: PHASE[r.state], heartbeatMs: 0, replica: r });
    },
    assign(stages, nowMs) {
      router.applyAssignment({ pipeline, version: ++version, policy: "sim", createdAtMs: nowMs, stages });
    },
  };
}
