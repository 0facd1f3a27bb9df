import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { parseRateCsv } from "@fulcrum/core/workload";

/** The committed trace, `data/twitter-trace/workload.txt.gz` at the repository root (same depth from src/ and dist/). */
export const TWITTER_TRACE_FILE = fileURLToPath(new URL("../../../../data/twitter-trace/workload.txt.gz", import.meta.url));

let cached: { file: string; rps: readonly number[] } | undefined;

/**
 * The real per-second Twitter trace (1,899,061 counts; see `data/twitter-trace/README.md`), read once
 * per process and cached. Slice the papers' windows with `sliceTraceWindow` and `TWITTER_WINDOWS`
 * from `@fulcrum/core/workload`. Throws `TraceParseError` naming the position of a bad value.
 */
export function loadTwitterTrace(file = TWITTER_TRACE_FILE): readonly number[] {
  if (cached?.file === file) return cached.rps;
  const text = gunzipSync(readFileSync(file)).toString("latin1");
  const rps = parseRateCsv(text).rps;
  cached = { file, rps };
  return rps;
}
