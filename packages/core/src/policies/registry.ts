import type { z } from "zod";
import { PolicyConfigError } from "./errors.js";
import { decideFa2, fa2ConfigSchema } from "./fa2.js";
import { decideFulcrum, fulcrumConfigSchema } from "./fulcrum.js";
import { decideHpa, hpaConfigSchema } from "./hpa.js";
import { decideInfAdapter, infAdapterConfigSchema } from "./infadapter.js";
import { decideIpa, ipaConfigSchema } from "./ipa.js";
import { decideMsPlus, msPlusConfigSchema } from "./ms-plus.js";
import { decideRim, rimConfigSchema } from "./rim.js";
import { decideSponge, spongeConfigSchema } from "./sponge.js";
import { decideStatic, staticConfigSchema } from "./static.js";
import { decideVpa, vpaConfigSchema } from "./vpa.js";
import type { PolicyDecision, PolicyDeps, PolicyInput, PolicyName, PolicyState } from "./types.js";

/** A policy as the optimizer service sees it. */
export interface PolicyDefinition {
  readonly name: PolicyName;
  /** Validates and defaults this policy's config (YAML/env); parse once at startup. */
  readonly configSchema: z.ZodType;
  /** Whether `decide` calls the Solver port. */
  readonly usesSolver: boolean;
  /**
   * Whether the config prices actuation (`replicaStartMs`, `inPlaceChangeMs`): whoever runs the
   * policy fills them with the real system's times unless the config sets them (the simulator from
   * its scenario, the optimizer from the start-ups it sees in the registry).
   */
  readonly pricesActuation: boolean;
  /**
   * One decision. `config` is parsed with `configSchema` (defaults filled). Never throws for
   * infeasible or malformed INPUT (that is a fallback with a reason).
   * @throws PolicyConfigError if `config` fails the schema.
   */
  decide(input: PolicyInput, prevState: PolicyState | undefined, config: unknown, nowMs: number, deps: PolicyDeps): Promise<PolicyDecision>;
}

function define<S extends z.ZodType>(
  name: PolicyName,
  configSchema: S,
  traits: Pick<PolicyDefinition, "usesSolver" | "pricesActuation">,
  run: (input: PolicyInput, prev: PolicyState | undefined, config: z.output<S>, nowMs: number, deps: PolicyDeps) => Promise<PolicyDecision>,
): PolicyDefinition {
  return {
    name, configSchema, ...traits,
    decide(input, prev, config, nowMs, deps) {
      const parsed = configSchema.safeParse(config ?? {});
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
        return Promise.reject(new PolicyConfigError(`invalid ${name} config: ${issues}`, { policy: name, cause: parsed.error }));
      }
      return run(input, prev, parsed.data, nowMs, deps);
    },
  };
}

/** Every policy by name: the optimizer service's entry point. */
export const POLICIES: Readonly<Record<PolicyName, PolicyDefinition>> = {
  fulcrum: define("fulcrum", fulcrumConfigSchema, { usesSolver: true, pricesActuation: true }, decideFulcrum),
  ipa: define("ipa", ipaConfigSchema, { usesSolver: true, pricesActuation: false }, (i, p, c, n, d) => decideIpa(i, p, c, n, d)),
  fa2: define("fa2", fa2ConfigSchema, { usesSolver: true, pricesActuation: false }, decideFa2),
  rim: define("rim", rimConfigSchema, { usesSolver: true, pricesActuation: false }, decideRim),
  infadapter: define("infadapter", infAdapterConfigSchema, { usesSolver: true, pricesActuation: false }, decideInfAdapter),
  "ms-plus": define("ms-plus", msPlusConfigSchema, { usesSolver: true, pricesActuation: false }, decideMsPlus),
  sponge: define("sponge", spongeConfigSchema, { usesSolver: false, pricesActuation: false }, (i, p, c, n) => decideSponge(i, p, c, n)),
  static: define("static", staticConfigSchema, { usesSolver: false, pricesActuation: false }, (i, p, c, n) => decideStatic(i, p, c, n)),
  vpa: define("vpa", vpaConfigSchema, { usesSolver: false, pricesActuation: false }, (i, p, c, n) => decideVpa(i, p, c, n)),
  hpa: define("hpa", hpaConfigSchema, { usesSolver: false, pricesActuation: false }, (i, p, c, n) => decideHpa(i, p, c, n)),
};
