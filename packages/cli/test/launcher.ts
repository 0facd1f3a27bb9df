import { fileURLToPath } from "node:url";
import { compiledEntry } from "@fulcrum/actuator";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * Node arguments that run the `fulcrum` CLI (cwd = the repository root): its compiled build when
 * every workspace's build is current (as after `npm test`'s build step), else its TypeScript
 * sources through tsx. Tests that start several launchers at once save seconds of transpiling each.
 */
export function fulcrumArgv(...args: string[]): string[] {
  const dist = compiledEntry(ROOT, "packages/cli/src/bin.ts");
  return dist ? [dist, ...args] : ["--conditions=@fulcrum/source", "--import", "tsx", "packages/cli/src/bin.ts", ...args];
}
