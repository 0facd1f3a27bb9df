import { Command } from "commander";
import { conformanceCommand } from "./commands/conformance.js";
import { experimentCommand } from "./commands/experiment.js";
import { predictorCommand } from "./commands/predictor.js";
import { profileCommand } from "./commands/profile.js";
import { reconcileCommand } from "./commands/reconcile.js";
import { tracesCommand } from "./commands/traces.js";
import { upCommand } from "./commands/up.js";
import { zooCommand } from "./commands/zoo.js";

/** The `fulcrum` command tree. */
export function buildProgram(): Command {
  return new Command("fulcrum")
    .description("Fulcrum: adaptive ML inference serving (accuracy, cost and latency, re-decided live)")
    .showHelpAfterError()
    .addCommand(upCommand())
    .addCommand(reconcileCommand())
    .addCommand(zooCommand())
    .addCommand(predictorCommand())
    .addCommand(tracesCommand())
    .addCommand(profileCommand())
    .addCommand(conformanceCommand())
    .addCommand(experimentCommand());
}
