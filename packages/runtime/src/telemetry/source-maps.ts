import { InvalidArgumentError } from "@fulcrum/core";

/**
 * Whether a service keeps source-mapped stack traces: only when `FULCRUM_SOURCE_MAPS=true`.
 *
 * Services run their TypeScript through tsx, which turns Node's source-map support on. Node then
 * maps every frame of every stack trace that is read: per frame a `path.resolve`, a
 * `pathToFileURL` and a source-map lookup, and a map parsed (and kept) per file the first time.
 * grpc-js reads a stack for every call that ends in a non-OK status (it appends the caller's stack
 * to the error), so under overload every refusal pays it, in the load generator and in the gateway
 * (a client of the stages). Measured in the load generator at 415 refusals/s: 41 % of everything
 * it allocated was that stack formatting, its heap after a full GC was 44 MB against 28 MB
 * without source maps (99 k arrays of parsed maps), and its scavenges fell from 306 to 230 per run.
 * Stack traces without them still name the function and the file; the line is tsx's output line.
 * @throws InvalidArgumentError naming the variable for any other value
 */
export function sourceMapsWanted(env: Readonly<Record<string, string | undefined>>): boolean {
  const v = (env.FULCRUM_SOURCE_MAPS ?? "").toLowerCase();
  if (v === "" || v === "false" || v === "0") return false;
  if (v === "true" || v === "1") return true;
  throw new InvalidArgumentError("FULCRUM_SOURCE_MAPS", `must be true or false, got "${env.FULCRUM_SOURCE_MAPS}"`);
}
