/**
 * The contracts, read from the `.proto` files at run time: no generated code to keep in step, and a
 * changed contract shows up at the next start. gRPC services come from @grpc/proto-loader, the
 * control-plane messages (NATS payloads) from protobufjs.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import protobuf from "protobufjs";

/** The proto files this stage needs, relative to the proto folder. */
export const PROTO_FILES = { oip: "inference/grpc_predict_v2.proto", health: "grpc/health/v1/health.proto", control: "fulcrum/v1/control.proto" } as const;

/** A control-plane message type: plain objects (camelCase fields, int64 as number) ↔ bytes. */
export interface MessageType<T> {
  encode(message: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

// Hand-written views of the fulcrum.v1 messages this stage sends or reads (fields as in control.proto).
export interface StageMetrics {
  pipeline: string; stage: string; instance: string;
  windowStartUnixMs: number; windowMs: number;
  arrivals: number; completions: number; queueLength: number;
  latencyP50Ms: number; latencyP95Ms: number; latencyP99Ms: number;
  violations: number; earlyDrops: number; rejected: number; meanBatch: number;
  variant: string; cores: number; batchSize: number; cpuSeconds: number; assignmentVersion: number; failures: number;
}
export interface RegistryEntry {
  pipeline: string; stage: string; instance: string; address: string;
  variant: string; cores: number; batch: number; assignmentVersion: number;
  heartbeatUnixMs: number; startedUnixMs: number; state: "starting" | "ready" | "draining" | "stopped"; variants: string[];
}
export interface VariantAllocation { variant: string; weight: number; batch: number; coresPerReplica: number; replicas: number }
export interface Assignment {
  pipeline: string; version: number; policy: string; createdUnixMs: number;
  stages: Array<{ stage: string; variants: VariantAllocation[] }>; reason: string;
}
export interface AssignmentAck {
  pipeline: string; stage: string; instance: string; version: number;
  applied: boolean; applyMs: number; appliedUnixMs: number; error: string;
}
export interface DrainRequest { reason: string; graceMs: number }
export interface DrainReply { accepted: boolean; error: string }

/** Everything loaded from the proto folder. */
export interface Contracts {
  readonly inferenceService: grpc.ServiceDefinition;
  readonly healthService: grpc.ServiceDefinition;
  readonly StageMetrics: MessageType<StageMetrics>;
  readonly RegistryEntry: MessageType<RegistryEntry>;
  readonly Assignment: MessageType<Assignment>;
  readonly AssignmentAck: MessageType<AssignmentAck>;
  readonly DrainRequest: MessageType<DrainRequest>;
  readonly DrainReply: MessageType<DrainReply>;
}

function messageType<T>(root: protobuf.Root, name: string): MessageType<T> {
  const type = root.lookupType(name);
  return {
    encode: (m) => type.encode(type.fromObject(m as Record<string, unknown>)).finish(),
    decode: (b) => type.toObject(type.decode(b), { longs: Number, defaults: true, arrays: true }) as T,
  };
}

/** Loads the contracts from `protoDir`; throws naming the missing file. */
export function loadContracts(protoDir: string): Contracts {
  for (const f of Object.values(PROTO_FILES)) {
    if (!existsSync(join(protoDir, f))) throw new Error(`proto file ${join(protoDir, f)} not found (set FULCRUM_PROTO_DIR to the folder holding ${Object.values(PROTO_FILES).join(", ")})`);
  }
  const def = protoLoader.loadSync([PROTO_FILES.oip, PROTO_FILES.health], { includeDirs: [protoDir], longs: Number, enums: String, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    inference: { GRPCInferenceService: grpc.ServiceClientConstructor };
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  const root = protobuf.loadSync(join(protoDir, PROTO_FILES.control));
  return {
    inferenceService: pkg.inference.GRPCInferenceService.service,
    healthService: pkg.grpc.health.v1.Health.service,
    StageMetrics: messageType(root, "fulcrum.v1.StageMetrics"),
    RegistryEntry: messageType(root, "fulcrum.v1.RegistryEntry"),
    Assignment: messageType(root, "fulcrum.v1.Assignment"),
    AssignmentAck: messageType(root, "fulcrum.v1.AssignmentAck"),
    DrainRequest: messageType(root, "fulcrum.v1.DrainRequest"),
    DrainReply: messageType(root, "fulcrum.v1.DrainReply"),
  };
}
