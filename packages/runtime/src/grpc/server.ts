import { Server, ServerCredentials, type ServerInterceptor, type ServiceDefinition, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { health } from "@fulcrum/proto";
import type { Logger } from "pino";
import { checkWindowBytes, FLOW_CONTROL_WINDOW_BYTES, openServerFlowControlWindow } from "./flow-control.js";
import { HealthReporter, ServingStatus } from "./health.js";

/** A service to mount on the server. */
export interface GrpcServiceBinding {
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
}

/** Options of {@link startGrpcServer}. */
export interface GrpcServerOptions {
  /**
   * Interface to bind.
   * @default "127.0.0.1"
   */
  readonly host?: string;
  /** Port; 0 picks a free one (read it back from the handle). */
  readonly port: number;
  readonly services: readonly GrpcServiceBinding[];
  /**
   * Largest request accepted, bytes. Larger ones fail with RESOURCE_EXHAUSTED before any handler runs.
   * @default 64 MiB
   */
  readonly maxReceiveMessageBytes?: number;
  /**
   * Largest response sent, bytes.
   * @default 64 MiB
   */
  readonly maxSendMessageBytes?: number;
  /**
   * Server interceptors; the first wraps the transport's call, each next one the previous. grpc-js
   * builds them when an HTTP/2 stream's headers arrive, before the request message is read: the
   * earliest point application code sees a call (the gateway stamps arrivals there). @default none
   */
  readonly interceptors?: readonly ServerInterceptor[];
  /** Transport security (see `grpcServerCredentials`). @default plaintext */
  readonly credentials?: ServerCredentials;
  /**
   * HTTP/2 receive window per stream and per connection, bytes (see {@link FLOW_CONTROL_WINDOW_BYTES}
   * for why the protocol's 64 KiB default throttles a busy server). @default 8 MiB
   */
  readonly flowControlWindowBytes?: number;
  readonly logger?: Logger;
}

/** A running gRPC server. */
export interface GrpcServerHandle {
  readonly server: Server;
  readonly port: number;
  /** `host:port` clients dial. */
  readonly address: string;
  /** Standard health service status (starts NOT_SERVING; set SERVING when ready). */
  readonly health: HealthReporter;
  /**
   * Stops accepting calls, waits up to `graceMs` for in-flight calls, then forces; idempotent.
   * @param graceMs default 5000
   */
  shutdown(graceMs?: number): Promise<void>;
}

/** Starts a gRPC server with the standard health service mounted. */
export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcServerHandle> {
  const windowBytes = checkWindowBytes(options.flowControlWindowBytes ?? FLOW_CONTROL_WINDOW_BYTES);
  const server = new Server({
    "grpc.max_receive_message_length": options.maxReceiveMessageBytes ?? 64 * 1024 * 1024,
    "grpc.max_send_message_length": options.maxSendMessageBytes ?? 64 * 1024 * 1024,
    ...(options.interceptors ? { interceptors: [...options.interceptors] } : {}),
  });
  const reporter = new HealthReporter();
  server.addService(health.HealthService as unknown as ServiceDefinition, reporter.implementation as unknown as UntypedServiceImplementation);
  for (const s of options.services) server.addService(s.definition, s.implementation);
  const host = options.host ?? "127.0.0.1";
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${options.port}`, options.credentials ?? ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  openServerFlowControlWindow(server, windowBytes);
  options.logger?.info({ host, port, tls: options.credentials?._isSecure() ?? false }, "gRPC server listening");
  let stopped: Promise<void> | undefined;
  return {
    server,
    port,
    address: `${host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host}:${port}`,
    health: reporter,
    shutdown(graceMs = 5000) {
      stopped ??= new Promise<void>((resolve) => {
        reporter.set("", ServingStatus.NOT_SERVING);
        reporter.endAll();
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      return stopped;
    },
  };
}
