import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ConfigError, type ConfigIssue } from "./errors.js";

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Service name, used in error messages. */
  readonly service: string;
  /** The environment to read (pass `process.env` from `main.ts`; tests pass a literal). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Prefix of the service's own variables, e.g. `FULCRUM_STAGE_`: key `grpcPort` is read from
   * `FULCRUM_STAGE_GRPC_PORT`. Any other variable with this prefix is reported as unknown.
   */
  readonly envPrefix: string;
  /**
   * Unprefixed variables that also set a key, e.g. `{ NATS_URL: "natsUrl" }`. The prefixed form wins.
   * @default {}
   */
  readonly aliases?: Readonly<Record<string, string>>;
  /**
   * Variable holding the path of an optional YAML file whose top-level keys are the schema's keys.
   * Environment values override the file.
   * @default `${envPrefix}CONFIG`
   */
  readonly fileVar?: string;
}

/** `grpcPort` → `GRPC_PORT`. */
export function toEnvName(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

/**
 * Loads a service configuration: schema defaults, then the optional YAML file, then environment
 * variables. Values from the environment are strings: they are coerced by the schema (`z.coerce.*`,
 * {@link envBoolean}) or, for object and array keys, parsed as JSON. Fails fast with a
 * {@link ConfigError} listing every bad, unknown or missing key, and returns a frozen object.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, options: LoadConfigOptions): Readonly<z.infer<S>> {
  const issues: ConfigIssue[] = [];
  const raw: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  const keys = Object.keys(schema.shape);

  const fileVar = options.fileVar ?? `${options.envPrefix}CONFIG`;
  const filePath = options.env[fileVar];
  if (filePath) {
    try {
      const parsed: unknown = parseYaml(readFileSync(filePath, "utf8"));
      if (parsed !== null && parsed !== undefined) {
        if (typeof parsed !== "object" || Array.isArray(parsed)) {
          issues.push({ key: "(file)", source: `file ${filePath}`, message: "top level must be a mapping of keys" });
        } else {
          for (const [k, v] of Object.entries(parsed)) {
            if (!keys.includes(k)) {
              issues.push({ key: k, source: `file ${filePath}`, message: `unknown key (known: ${keys.join(", ")})` });
              continue;
            }
            raw[k] = v;
            sources.set(k, `file ${filePath}`);
          }
        }
      }
    } catch (err) {
      issues.push({ key: "(file)", source: `env ${fileVar}`, message: `cannot read ${filePath}: ${(err as Error).message}` });
    }
  }

  const fromEnv = (key: string, name: string, value: string): void => {
    raw[key] = isStructured(schema.shape[key]) ? parseJsonOr(value) : value;
    sources.set(key, `env ${name}`);
  };
  for (const [name, key] of Object.entries(options.aliases ?? {})) {
    const value = options.env[name];
    if (value !== undefined && value !== "") fromEnv(key, name, value);
  }
  for (const [name, value] of Object.entries(options.env)) {
    if (!name.startsWith(options.envPrefix) || name === fileVar || value === undefined) continue;
    const key = keys.find((k) => options.envPrefix + toEnvName(k) === name);
    if (key === undefined) {
      issues.push({ key: name, source: `env ${name}`, message: `unknown variable (known: ${keys.map((k) => options.envPrefix + toEnvName(k)).join(", ")})` });
      continue;
    }
    if (value !== "") fromEnv(key, name, value);
  }

  const result = schema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = issue.path.map(String).join(".") || "(root)";
      const top = String(issue.path[0] ?? "");
      issues.push({ key, source: sources.get(top) ?? (top in raw ? "input" : "default"), message: issue.message });
    }
  }
  if (issues.length > 0 || !result.success) throw new ConfigError(options.service, issues);
  return deepFreeze(result.data) as Readonly<z.infer<S>>;
}

/**
 * A boolean read from the environment: `true/false/1/0/yes/no/on/off` (any case).
 * `z.coerce.boolean()` would turn the string "false" into `true`.
 */
export const envBoolean = (): z.ZodType<boolean> =>
  z.union([
    z.boolean(),
    z
      .string()
      .trim()
      .toLowerCase()
      .refine((s) => ["true", "false", "1", "0", "yes", "no", "on", "off"].includes(s), {
        message: "expected a boolean (true/false/1/0/yes/no/on/off)",
      })
      .transform((s) => ["true", "1", "yes", "on"].includes(s)),
  ]);

function isStructured(schema: unknown): boolean {
  let s = schema as { def?: { type?: string; innerType?: unknown } } | undefined;
  // Unwrap default/optional/nullable wrappers to find the value's own type.
  for (let i = 0; i < 5 && s?.def && ["default", "optional", "nullable", "prefault"].includes(s.def.type ?? ""); i++) {
    s = s.def.innerType as typeof s;
  }
  return ["object", "array", "record", "tuple"].includes(s?.def?.type ?? "");
}

function parseJsonOr(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
