import { FulcrumError } from "@fulcrum/core";

/** One problem of an experiment definition or scenario: the key path and what is wrong with it. */
export interface SimIssue {
  /** Dotted key path, e.g. `policies[2].config.variants` or `workload.windows.bursty`. */
  readonly key: string;
  readonly message: string;
}

/**
 * An experiment definition (YAML) or a scenario handed to the engine is invalid. Lists every
 * problem found, each naming its key; `source` is the file (or `"inline"`).
 */
export class ExperimentConfigError extends FulcrumError {
  override readonly name = "ExperimentConfigError";
  constructor(
    readonly source: string,
    readonly issues: readonly SimIssue[],
    options?: { cause?: unknown },
  ) {
    super(
      "EXPERIMENT_CONFIG_INVALID",
      "invalid-argument",
      `invalid experiment ${source} (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n` + issues.map((i) => `  - ${i.key}: ${i.message}`).join("\n"),
      options,
    );
  }
}

/** No experiment with that id (or file) exists. `known` lists the ids that do. */
export class ExperimentNotFoundError extends FulcrumError {
  override readonly name = "ExperimentNotFoundError";
  constructor(
    readonly id: string,
    readonly known: readonly string[],
  ) {
    super("EXPERIMENT_NOT_FOUND", "not-found", `unknown experiment "${id}"${known.length > 0 ? ` (known: ${known.join(", ")})` : ""}`);
  }
}

/**
 * A run cannot go ahead as asked (e.g. `--live`: the papers' experiments need more cores than the
 * machine has). `missing` says why.
 */
export class RunModeUnavailableError extends FulcrumError {
  override readonly name = "RunModeUnavailableError";
  constructor(
    readonly mode: string,
    readonly missing: string,
  ) {
    super("RUN_MODE_UNAVAILABLE", "failed-precondition", `${mode} runs are not available: ${missing}`);
  }
}

/**
 * The simulator broke one of its own invariants (e.g. the request ledger does not balance, time
 * went backwards). Always a bug in the simulator, never bad input.
 */
export class SimInvariantError extends FulcrumError {
  override readonly name = "SimInvariantError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("SIM_INVARIANT_BROKEN", "internal", message, options);
  }
}
