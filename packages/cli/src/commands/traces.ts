import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { startOtlpReceiver, type ReceivedSpan } from "@fulcrum/runtime";
import { Command } from "commander";
import { positiveInt, positiveNumber } from "./option-parsers.js";

const KIND = ["?", "internal", "server", "client", "producer", "consumer"];

/** Where `fulcrum traces` prints. */
export interface TracesCommandIo {
  out(line: string): void;
}

/**
 * `fulcrum traces`: a local trace sink for machines without Jaeger. Listens for OTLP/HTTP JSON on
 * 127.0.0.1:4318 (the default every service exports to), prints one line per span and appends the
 * spans to a JSONL file, until Ctrl-C or `--duration`.
 */
export function tracesCommand(io: TracesCommandIo = { out: (l) => void process.stdout.write(`${l}\n`) }): Command {
  return new Command("traces")
    .description("collect OpenTelemetry spans locally (OTLP/HTTP JSON on :4318), print them and write JSONL")
    .option("--port <port>", "port to listen on (0 = any free port)", (v) => (v === "0" ? 0 : positiveInt("--port")(v)), 4318)
    .option("--out <file>", "append spans as JSON lines here", ".fulcrum/traces.jsonl")
    .option("--duration <s>", "stop after this many seconds (default: until Ctrl-C)", positiveNumber("--duration"))
    .action(async (opts: { port: number; out: string; duration?: number }) => {
      mkdirSync(dirname(opts.out), { recursive: true });
      let printed = 0;
      const receiver = await startOtlpReceiver({ port: opts.port, jsonlPath: opts.out });
      io.out(`listening on http://127.0.0.1:${receiver.port}/v1/traces (set OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:${receiver.port}); writing ${opts.out}`);
      const timer = setInterval(() => {
        const spans = receiver.spans();
        for (const s of spans.slice(printed)) io.out(formatSpan(s));
        printed = spans.length;
      }, 250);
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
        if (opts.duration) setTimeout(stop, opts.duration * 1000).unref();
      });
      clearInterval(timer);
      for (const s of receiver.spans().slice(printed)) io.out(formatSpan(s));
      await receiver.close();
      io.out(`stopped: ${receiver.spans().length} span(s) received`);
    });
}

function formatSpan(s: ReceivedSpan): string {
  return `${s.service.padEnd(18)} ${KIND[s.kind] ?? s.kind} ${s.name} ${s.durationMs.toFixed(2)} ms trace=${s.traceId.slice(0, 16)} parent=${s.parentSpanId ? s.parentSpanId.slice(0, 8) : "-"}`;
}
