import { Command } from "commander";
import { formatResult, formatSummary, runConformance, type ConformanceTarget } from "../conformance/index.js";
import { positiveInt } from "./option-parsers.js";

/** Where `fulcrum conformance` prints, and how it sets the exit code. */
export interface ConformanceCommandIo {
  out(line: string): void;
  /** @default sets process.exitCode */
  fail(code: number): void;
}

const defaultIo: ConformanceCommandIo = {
  out: (l) => void process.stdout.write(`${l}\n`),
  fail: (code) => void (process.exitCode = code),
};

/**
 * `fulcrum conformance`: checks a live stage instance (found through its registry entry) against
 * stage contract v1, one PASS/FAIL/SKIP line per clause; exits 1 when a clause fails. It changes
 * the stage while it runs (test Assignments, then a restoring one) and, with `--drain`, stops it.
 */
export function conformanceCommand(io: ConformanceCommandIo = defaultIo): Command {
  return new Command("conformance")
    .description("check a live stage instance against the stage contract (docs/extending.md); exits 1 if a clause fails")
    .requiredOption("--pipeline <name>", "pipeline of the instance")
    .requiredOption("--stage <name>", "stage of the instance (= its OIP model name)")
    .requiredOption("--instance <id>", "instance id (its registry key is <pipeline>.<stage>.<instance>)")
    .option("--nats <url>", "NATS server URL(s)", process.env.NATS_URL ?? "nats://127.0.0.1:4222")
    .option("--timeout-ms <ms>", "longest wait of any one step (RPC, ack, drain)", positiveInt("--timeout-ms"), 10_000)
    .option("--drain", "also check graceful drain (stops the stage)", false)
    .action(async (opts: { pipeline: string; stage: string; instance: string; nats: string; timeoutMs: number; drain: boolean }) => {
      const target: ConformanceTarget = { pipeline: opts.pipeline, stage: opts.stage, instance: opts.instance, natsUrl: opts.nats, timeoutMs: opts.timeoutMs, drain: opts.drain };
      io.out(`checking ${target.pipeline}.${target.stage}.${target.instance} via ${target.natsUrl} (stage contract v1; test Assignments change the stage and then restore it${target.drain ? "; --drain stops it" : ""})`);
      const report = await runConformance(target, { onResult: (r) => io.out(formatResult(r)) });
      io.out(formatSummary(report));
      if (!report.passed) io.fail(1);
    });
}
