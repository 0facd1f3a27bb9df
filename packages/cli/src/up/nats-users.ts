import { randomBytes } from "node:crypto";

/** The NATS users of `infra/nats-auth.conf`, one per service (the launcher is `fulcrum up` itself). */
export const NATS_USERS = ["optimizer", "stage", "gateway", "monitor", "predictor", "launcher"] as const;
export type NatsUser = (typeof NATS_USERS)[number];

/** Fresh credentials for the private nats-server of one `fulcrum up` run. */
export interface NatsUsers {
  /** What the server's environment needs: `FULCRUM_NATS_<USER>_PASSWORD` for every user. */
  readonly serverEnv: Readonly<Record<string, string>>;
  /** A service's environment: `NATS_USER` and `NATS_PASSWORD` of `user`. */
  env(user: NatsUser): Record<string, string>;
  /** `connectBus` credentials of `user`. */
  auth(user: NatsUser): { user: string; password: string };
}

/**
 * Random passwords for every user, made per run and never written to disk. They start with a
 * letter: nats-server parses an environment variable's value as a configuration value, and a
 * leading digit would make it a number.
 */
export function generateNatsUsers(): NatsUsers {
  const passwords = new Map<NatsUser, string>(NATS_USERS.map((u) => [u, `p${randomBytes(18).toString("hex")}`]));
  const password = (u: NatsUser): string => passwords.get(u)!;
  return {
    serverEnv: Object.fromEntries(NATS_USERS.map((u) => [`FULCRUM_NATS_${u.toUpperCase()}_PASSWORD`, password(u)])),
    env: (u) => ({ NATS_USER: u, NATS_PASSWORD: password(u) }),
    auth: (u) => ({ user: u, password: password(u) }),
  };
}
