import type { ChildSpec } from "@fulcrum/actuator";
import { tail } from "@fulcrum/actuator";
import type { FrontStage } from "./pipelines.js";
import type { UpStatus } from "./status.js";
import type { SupervisedService } from "./supervisor.js";

/** Where and as what the launcher runs a front stage's one replica. */
export interface FrontStagePlacement {
  /** Pipeline name on the wire. */
  readonly pipeline: string;
  /** Instance id (unique across launcher runs: a previous run's entry may still be in the registry). */
  readonly instance: string;
  /** Its gRPC port, fixed so that a restart keeps the address. */
  readonly grpcPort: number;
  /** NATS_URL, LOG_LEVEL, tracing. */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * The supervised process of a front stage: `node <entry>` as its README says a launcher starts it,
 * replica 0 of its stage (it follows the Assignment's first allocation), serving its one variant.
 */
export function frontStageSpec(front: FrontStage, p: FrontStagePlacement): ChildSpec {
  return {
    name: front.stage,
    entry: front.entry,
    plain: true,
    address: `127.0.0.1:${p.grpcPort}`,
    env: {
      ...p.env,
      ...front.env,
      FULCRUM_STAGE_PIPELINE: p.pipeline,
      FULCRUM_STAGE_STAGE: front.stage,
      FULCRUM_STAGE_INSTANCE: p.instance,
      FULCRUM_STAGE_REPLICA_INDEX: "0",
      FULCRUM_STAGE_VARIANT: front.variant,
      FULCRUM_STAGE_GRPC_HOST: "127.0.0.1",
      FULCRUM_STAGE_GRPC_PORT: String(p.grpcPort),
    },
  };
}

/**
 * Resolves once the front stage's registry entry says `ready` (it has no `/readyz`: the contract's
 * readiness is its registry entry); rejects with its log tail when it exits first or `timeoutMs` passes.
 */
export async function waitRegistered(status: UpStatus, svc: SupervisedService, instance: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (status.snapshot().replicas.some((r) => r.instance === instance && r.state === "ready")) return;
    if (svc.child.exit !== undefined) throw new Error(`${svc.spec.name} exited (${svc.child.exit}) before it registered:\n${tail(svc.child.logFile)}`);
    if (Date.now() > end) throw new Error(`${svc.spec.name} did not register as ready within ${timeoutMs} ms:\n${tail(svc.child.logFile)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
