/**
 * The NATS connection keys every service shares: where the server is, who the service is to it
 * (user and password of its NATS user, see `infra/nats.conf`), and TLS. A service spreads
 * {@link natsConfigShape} into its schema, adds {@link checkNatsConfig} as a refinement, reads the
 * unprefixed variables through {@link NATS_ENV_ALIASES}, and connects with {@link natsConnectOptions}.
 */
import { z } from "zod";

/** The schema keys; spread into a service's `z.object({...})`. */
export const natsConfigShape = {
  /** NATS server(s), comma-separated; `tls://` URLs require TLS. @default nats://127.0.0.1:4222 */
  natsUrl: z.string().default("nats://127.0.0.1:4222"),
  /** NATS user this service connects as (one per service in `infra/nats.conf`); absent: no authentication. */
  natsUser: z.string().min(1).optional(),
  /** Password of `natsUser`. Required with it. */
  natsPassword: z.string().min(1).optional(),
  /** CA certificate (PEM file) to verify the NATS server with; setting it turns TLS on. */
  natsTlsCaFile: z.string().min(1).optional(),
  /** Client certificate (PEM file), for a server that verifies clients; needs `natsTlsKeyFile`. */
  natsTlsCertFile: z.string().min(1).optional(),
  /** Key of `natsTlsCertFile` (PEM file). */
  natsTlsKeyFile: z.string().min(1).optional(),
};

/** Unprefixed variables of the NATS keys (`NATS_USER`, …); a service's prefixed form still wins. */
export const NATS_ENV_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  NATS_URL: "natsUrl",
  NATS_USER: "natsUser",
  NATS_PASSWORD: "natsPassword",
  NATS_TLS_CA_FILE: "natsTlsCaFile",
  NATS_TLS_CERT_FILE: "natsTlsCertFile",
  NATS_TLS_KEY_FILE: "natsTlsKeyFile",
});

/** The NATS keys of a parsed configuration. */
export interface NatsConfig {
  readonly natsUrl: string;
  readonly natsUser?: string | undefined;
  readonly natsPassword?: string | undefined;
  readonly natsTlsCaFile?: string | undefined;
  readonly natsTlsCertFile?: string | undefined;
  readonly natsTlsKeyFile?: string | undefined;
}

/** Cross-key rules: user and password go together, and so do certificate and key. Use with `.superRefine`. */
export function checkNatsConfig(cfg: Partial<NatsConfig>, ctx: z.RefinementCtx): void {
  if ((cfg.natsUser === undefined) !== (cfg.natsPassword === undefined)) {
    ctx.addIssue({ code: "custom", path: [cfg.natsUser === undefined ? "natsUser" : "natsPassword"], message: "set natsUser (NATS_USER) and natsPassword (NATS_PASSWORD) together" });
  }
  if ((cfg.natsTlsCertFile === undefined) !== (cfg.natsTlsKeyFile === undefined)) {
    ctx.addIssue({ code: "custom", path: [cfg.natsTlsCertFile === undefined ? "natsTlsCertFile" : "natsTlsKeyFile"], message: "set natsTlsCertFile and natsTlsKeyFile together" });
  }
}

/** What `connectBus` needs from the NATS keys. */
export interface NatsConnectOptions {
  readonly servers: string;
  readonly auth?: { readonly user: string; readonly password: string };
  readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
}

/** The `connectBus` options of a configuration's NATS keys. */
export function natsConnectOptions(cfg: NatsConfig): NatsConnectOptions {
  const tls = {
    ...(cfg.natsTlsCaFile ? { caFile: cfg.natsTlsCaFile } : {}),
    ...(cfg.natsTlsCertFile ? { certFile: cfg.natsTlsCertFile } : {}),
    ...(cfg.natsTlsKeyFile ? { keyFile: cfg.natsTlsKeyFile } : {}),
  };
  return {
    servers: cfg.natsUrl,
    ...(cfg.natsUser && cfg.natsPassword ? { auth: { user: cfg.natsUser, password: cfg.natsPassword } } : {}),
    ...(Object.keys(tls).length > 0 ? { tls } : {}),
  };
}
