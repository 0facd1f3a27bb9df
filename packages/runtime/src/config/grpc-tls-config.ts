/**
 * TLS on the data plane (gRPC), with the same shape as the NATS keys: a service that serves gRPC
 * (stage, gateway) serves TLS when given a certificate and key; a service that calls one (gateway
 * → stages, load generator → gateway) verifies it with a CA when given one. Absent keys: plaintext,
 * which is only fit for loopback or a private network.
 */
import { readFileSync } from "node:fs";
import { ChannelCredentials, ServerCredentials } from "@grpc/grpc-js";
import { z } from "zod";
import { FulcrumError } from "@fulcrum/core";

/** The keys of a service that serves gRPC; spread into its `z.object({...})`. */
export const grpcTlsServerShape = {
  /** Server certificate chain (PEM file) this service's gRPC server presents; needs `grpcTlsKeyFile`. Absent: plaintext. */
  grpcTlsCertFile: z.string().min(1).optional(),
  /** Key of `grpcTlsCertFile` (PEM file). */
  grpcTlsKeyFile: z.string().min(1).optional(),
};

/** The keys of a service that calls gRPC servers; spread into its `z.object({...})`. */
export const grpcTlsClientShape = {
  /** CA certificate (PEM file) this service verifies the gRPC servers it calls with; setting it turns TLS on for its calls. Absent: plaintext. */
  grpcTlsCaFile: z.string().min(1).optional(),
};

/** Unprefixed variables of {@link grpcTlsServerShape}; a service's prefixed form still wins. */
export const GRPC_TLS_SERVER_ENV_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  GRPC_TLS_CERT_FILE: "grpcTlsCertFile",
  GRPC_TLS_KEY_FILE: "grpcTlsKeyFile",
});

/** Unprefixed variables of {@link grpcTlsClientShape}; a service's prefixed form still wins. */
export const GRPC_TLS_CLIENT_ENV_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  GRPC_TLS_CA_FILE: "grpcTlsCaFile",
});

/** The gRPC TLS keys of a parsed configuration. */
export interface GrpcTlsConfig {
  readonly grpcTlsCertFile?: string | undefined;
  readonly grpcTlsKeyFile?: string | undefined;
  readonly grpcTlsCaFile?: string | undefined;
}

/** Certificate and key go together. Use with `.superRefine`. */
export function checkGrpcTlsConfig(cfg: Partial<GrpcTlsConfig>, ctx: z.RefinementCtx): void {
  if ((cfg.grpcTlsCertFile === undefined) !== (cfg.grpcTlsKeyFile === undefined)) {
    ctx.addIssue({ code: "custom", path: [cfg.grpcTlsCertFile === undefined ? "grpcTlsCertFile" : "grpcTlsKeyFile"], message: "set grpcTlsCertFile (GRPC_TLS_CERT_FILE) and grpcTlsKeyFile (GRPC_TLS_KEY_FILE) together" });
  }
}

/** A TLS file named in the configuration could not be read. */
export class TlsFileError extends FulcrumError {
  override readonly name = "TlsFileError";
  constructor(key: string, file: string, options?: { cause?: unknown }) {
    super("TLS_FILE_UNREADABLE", "invalid-argument", `${key}: cannot read "${file}" (${(options?.cause as Error | undefined)?.message ?? "unknown error"})`, options);
  }
}

function readPem(key: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (cause) {
    throw new TlsFileError(key, file, { cause });
  }
}

/** Credentials of this service's gRPC server: TLS with the configured certificate, else plaintext. */
export function grpcServerCredentials(cfg: GrpcTlsConfig): ServerCredentials {
  if (!cfg.grpcTlsCertFile || !cfg.grpcTlsKeyFile) return ServerCredentials.createInsecure();
  const pair = { cert_chain: readPem("grpcTlsCertFile", cfg.grpcTlsCertFile), private_key: readPem("grpcTlsKeyFile", cfg.grpcTlsKeyFile) };
  // Clients are not asked for certificates: the data plane authenticates servers; callers are
  // kept out by the network (and NATS authorization guards the control plane).
  return ServerCredentials.createSsl(null, [pair], false);
}

/** Credentials of this service's gRPC calls: TLS verified with the configured CA, else plaintext. */
export function grpcChannelCredentials(cfg: GrpcTlsConfig): ChannelCredentials {
  if (!cfg.grpcTlsCaFile) return ChannelCredentials.createInsecure();
  return ChannelCredentials.createSsl(readPem("grpcTlsCaFile", cfg.grpcTlsCaFile));
}
