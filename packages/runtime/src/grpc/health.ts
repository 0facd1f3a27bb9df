import type { ServerUnaryCall, ServerWritableStream, sendUnaryData } from "@grpc/grpc-js";
import { health } from "@fulcrum/proto";

const { HealthCheckResponse_ServingStatus: ServingStatus } = health;
/** A health status of the standard gRPC health protocol. */
export type ServingStatus = health.HealthCheckResponse_ServingStatus;
export { ServingStatus };

/** Serving status per service name (`""` = the whole server), with live Watch streams. */
export class HealthReporter {
  private readonly statuses = new Map<string, ServingStatus>([["", ServingStatus.NOT_SERVING]]);
  private readonly watchers = new Map<string, Set<ServerWritableStream<health.HealthCheckRequest, health.HealthCheckResponse>>>();

  /** Sets a service's status and notifies its watchers. */
  set(service: string, status: ServingStatus): void {
    this.statuses.set(service, status);
    for (const w of this.watchers.get(service) ?? []) w.write({ status });
  }

  get(service: string): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  /** The `grpc.health.v1.Health` implementation. */
  readonly implementation = {
    check: (call: ServerUnaryCall<health.HealthCheckRequest, health.HealthCheckResponse>, callback: sendUnaryData<health.HealthCheckResponse>): void => {
      callback(null, { status: this.statuses.get(call.request.service) ?? ServingStatus.SERVICE_UNKNOWN });
    },
    watch: (call: ServerWritableStream<health.HealthCheckRequest, health.HealthCheckResponse>): void => {
      const service = call.request.service;
      call.write({ status: this.statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN });
      const set = this.watchers.get(service) ?? new Set();
      set.add(call);
      this.watchers.set(service, set);
      call.on("cancelled", () => set.delete(call));
      call.on("close", () => set.delete(call));
    },
  };

  /** Ends every Watch stream (on shutdown). */
  endAll(): void {
    for (const set of this.watchers.values()) for (const w of set) w.end();
    this.watchers.clear();
  }
}
