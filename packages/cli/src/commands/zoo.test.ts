import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadManifest } from "@fulcrum/zoo";
import { zooCommand } from "./zoo.js";

const dirs: string[] = [];
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), "cli-zoo-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function run(args: string[]): Promise<string[]> {
  const lines: string[] = [];
  const cmd = zooCommand({ out: (l) => lines.push(l), progress: false });
  cmd.exitOverride();
  await cmd.parseAsync(args, { from: "user" });
  return lines;
}

describe("fulcrum zoo", () => {
  it("build writes models + manifests, then serves them from the build cache", async () => {
    const out = scratch();
    const args = ["build", "--family", "yolo", "--variant", "yolov5n", "--variant", "yolov5s", "--resolution", "16", "--out", out];
    const first = await run(args);
    expect(first.at(-1)).toBe(`zoo build: 2 built, 0 cached, in ${out}`);
    expect(readdirSync(join(out, "yolo")).sort()).toEqual(["yolov5n-r16.json", "yolov5n-r16.onnx", "yolov5s-r16.json", "yolov5s-r16.onnx"]);
    expect(loadManifest(join(out, "yolo", "yolov5n-r16.json")).pipeline?.feedsResolution).toBe(16);
    const second = await run(args);
    expect(second.at(-1)).toBe(`zoo build: 0 built, 2 cached, in ${out}`);
    expect(second[0]).toMatch(/^cached yolo\/yolov5n r16: /);
  });

  it("names an unknown family or variant", async () => {
    await expect(run(["build", "--family", "vgg", "--out", scratch()])).rejects.toThrow('unknown model family "vgg" (known families: resnet, yolo, fashion)');
    await expect(run(["build", "--family", "resnet", "--variant", "resnet19", "--out", scratch()])).rejects.toThrow(/unknown variant "resnet19" of model family "resnet"/);
    await expect(run(["train", "mnist", "--out", scratch()])).rejects.toThrow(/unknown model family "mnist"/);
    await expect(run(["build", "--family", "fashion", "--out", scratch()])).rejects.toThrow(/trained family: run `fulcrum zoo train fashion`/);
  });

  it("train fashion trains, evaluates and writes a variant; a corrupt dataset dir is named", async () => {
    const out = scratch();
    const lines = await run(["train", "fashion", "--variant", "linear", "--epochs", "1", "--train-limit", "640", "--out", out]);
    expect(lines.filter((l) => l.startsWith("train linear: "))).toHaveLength(10);
    expect(lines.find((l) => l.startsWith("trained "))).toMatch(/^trained fashion\/linear r28: .* accuracy \d+\.\d+ % \(measured\)/);
    expect(existsSync(join(out, "fashion", "linear-r28.onnx"))).toBe(true);
    expect(loadManifest(join(out, "fashion", "linear-r28.json")).training?.trainSamples).toBe(640);
    const empty = scratch();
    await expect(run(["train", "fashion", "--variant", "linear", "--out", out, "--data-dir", empty])).rejects.toThrow(
      `dataset file ${join(empty, "train-images-idx3-ubyte.gz")}: cannot be read`,
    );
  });
});
