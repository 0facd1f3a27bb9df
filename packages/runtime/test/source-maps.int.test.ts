import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../../../", import.meta.url));

/** `process.sourceMapsEnabled` in a process started the way services are (tsx, then the register preload). */
async function sourceMapsIn(env: Record<string, string>): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    ["--import", "tsx", "--conditions=@fulcrum/source", "--import", "@fulcrum/runtime/register", "-e", "console.log(String(process.sourceMapsEnabled))"],
    { cwd: repo, env: { ...process.env, OTEL_SDK_DISABLED: "true", ...env }, timeout: 30_000 },
  );
  return stdout.trim().split("\n").pop()!;
}

describe("the register preload and source maps", () => {
  it("turns off the source-mapped stacks tsx turns on, unless FULCRUM_SOURCE_MAPS=true", async () => {
    const [tsxAlone, preloaded, asked] = await Promise.all([
      run(process.execPath, ["--import", "tsx", "-e", "console.log(String(process.sourceMapsEnabled))"], { cwd: repo, timeout: 30_000 }).then((r) => r.stdout.trim()),
      sourceMapsIn({}),
      sourceMapsIn({ FULCRUM_SOURCE_MAPS: "true" }),
    ]);
    // The premise: without the preload, tsx leaves them on.
    expect(tsxAlone).toBe("true");
    expect(preloaded).toBe("false");
    expect(asked).toBe("true");
  });

  it("stops a service at start on a bad FULCRUM_SOURCE_MAPS, naming it", async () => {
    await expect(sourceMapsIn({ FULCRUM_SOURCE_MAPS: "maybe" })).rejects.toThrow(/FULCRUM_SOURCE_MAPS: must be true or false, got "maybe"/);
  });
});
