import { Command } from "commander";
import { upCommand } from "./commands/up.js";

/** The `fulcrum` command tree. */
export function buildProgram(): Command {
  return new Command("fulcrum")
    .description("Fulcrum: adaptive ML inference serving (accuracy, cost and latency, re-decided live)")
    .showHelpAfterError()
    .addCommand(upCommand());
}
